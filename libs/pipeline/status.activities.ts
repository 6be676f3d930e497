import { Injectable } from '@nestjs/common';
import { recordStatusWrite } from '../metrics';
import { NewStatusEntry, seqOfEntryId, StatusRepository, statusEntryId } from '../status';
import { DeploymentsRepository } from '../deployments/deployments.repository';
import type { DeploymentActivitiesApi } from '../../workflows/activities';
import type { StatusWrite } from '../../workflows/types';
import { Activity } from './activity';

const RECORD_POLL_MS = 20;
const RECORD_WAIT_MS = 2_000;

/**
 * Writes the workflow's steps to the status log and moves the deployment's record with them
 * (docs/contract.md#the-record-in-mongodb: MongoDB is the record); the entry id makes a retried write a no-op.
 */
@Injectable()
export class StatusActivitiesService implements Pick<DeploymentActivitiesApi, 'recordStatus'> {
  constructor(
    private readonly status: StatusRepository,
    private readonly deployments: DeploymentsRepository,
  ) {}

  @Activity()
  async recordStatus(write: StatusWrite): Promise<void> {
    const at = new Date();
    const entry: NewStatusEntry = {
      _id: statusEntryId(write.deploymentId, write.seq),
      uuid: write.uuid,
      user: write.user,
      app_name: write.app_name,
      deployment: write.deploymentId,
      status: write.status,
      step: write.step,
      provider: write.provider,
      commit: write.commit,
      ...(write.message !== undefined && { message: write.message }),
      ...(write.error && { error: write.error }),
      ts: at,
    };
    // The entry and the record's progress are written at once (one round trip, not two): the
    // entry's _id and the record's seq guard make each write safe to repeat, in either order.
    // The end is the exception: a record that shows `done` promises a complete log, so its entry goes first.
    let inserted: boolean;
    let progressed: boolean;
    if (write.step === 'done') {
      const stored = await this.appendEntry(entry, write.seq);
      inserted = stored.inserted;
      progressed = await this.deployments.recordProgress({ ...write, seq: stored.seq }, at);
    } else {
      const [stored, moved] = await Promise.all([this.appendEntry(entry, write.seq), this.deployments.recordProgress(write, at)]);
      inserted = stored.inserted;
      progressed = stored.seq === write.seq ? moved : await this.deployments.recordProgress({ ...write, seq: stored.seq }, at);
    }
    // Every caller writes the record before starting the workflow, so the first write normally
    // finds it; the brief wait only guards a record that lands late (an intake that overlapped
    // its writes with the start did, before that was reverted). A record never
    // written, or an older write refused by the seq guard, changes nothing.
    for (let waited = 0, done = progressed; !done; waited += RECORD_POLL_MS) {
      if (waited >= RECORD_WAIT_MS || (await this.deployments.exists(write.deploymentId))) break;
      await new Promise((resolve) => setTimeout(resolve, RECORD_POLL_MS));
      done = await this.deployments.recordProgress(write, at);
    }
    recordStatusWrite(write, inserted);
  }

  /**
   * Appends the entry under its workflow's number, unless that number holds another step: a
   * workflow task whose worker died ran its local activities (this log's writes among them) and
   * was never recorded, and its retry saw a signal the dead one had not (the line's end, say) and
   * took another path. The dead task's entries stay (they happened); this one goes after them.
   * Answers whether it was written now (not a repeat) and under which number.
   */
  private async appendEntry(entry: NewStatusEntry, seq: number): Promise<{ inserted: boolean; seq: number }> {
    if ((await this.status.append(entry)).inserted) return { inserted: true, seq };
    const taken = await this.status.findById(entry.user, entry._id);
    if (!taken || sameWrite(taken, entry)) return { inserted: false, seq };
    const { _id, ...rest } = entry;
    const renumbered = await this.status.appendRenumbered({ ...rest, workflow_seq: seq });
    return { inserted: renumbered.inserted, seq: seqOfEntryId(renumbered.entry._id) };
  }
}

/** The same step, state and words: a repeat of the write, not another step under its number. */
function sameWrite(a: NewStatusEntry, b: NewStatusEntry): boolean {
  return a.step === b.step && a.status === b.status && a.message === b.message;
}
