import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Errors } from '../errors';
import { NewStatusEntry, seqOfEntryId, StatusEntry, StatusRepository } from '../status';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { DeploymentRecord, DeploymentsRepository, hasEnded } from '../deployments/deployments.repository';
import { isUndeployment } from '../deployments/workflow-ids';
import { Periodic } from './periodic';

export interface WorkflowSweepSettings {
  /** How often the worker looks (0: this worker does not). */
  everyMs: number;
  /** A record unmoved for this long is checked against Temporal; a running workflow is checked again after as long. */
  graceMs: number;
}
export const WORKFLOW_SWEEP_SETTINGS = Symbol('WORKFLOW_SWEEP_SETTINGS');

/** Temporal's statuses of a workflow that still runs: its own end will come. */
const STILL_RUNNING = ['RUNNING', 'CONTINUED_AS_NEW'];

/** What happened to the workflow, in words, by Temporal's status (null: Temporal has no such workflow). */
function ending(status: string | null): string {
  switch (status) {
    case null:
      return 'no longer exists in Temporal (deleted, or past the namespace retention)';
    case 'TERMINATED':
      return 'was terminated in Temporal, outside deploy-webhooks';
    case 'TIMED_OUT':
      return 'timed out in Temporal (its execution timeout)';
    case 'CANCELED':
      return 'was canceled in Temporal';
    default:
      return `ended in Temporal (${status})`;
  }
}

/**
 * Closes the records of deployments whose workflow ended without recording its end: terminated
 * or timed out in Temporal, canceled without a chance to log it, deleted
 * (docs/reliability.md#tenant-isolation-review). Such a record would stay waiting or running
 * for ever. Every worker may sweep: the close is idempotent and never overrides an end.
 */
@Injectable()
export class WorkflowEndSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkflowEndSweep');
  private readonly periodic = new Periodic(() => this.sweepLogged());
  /** Records left open when last asked (their workflow was running), and when: asked again after the grace. */
  private readonly leftOpen = new Map<string, number>();

  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly status: StatusRepository,
    private readonly workflows: DeploymentWorkflowsClient,
    @Inject(WORKFLOW_SWEEP_SETTINGS) private readonly settings: WorkflowSweepSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.settings.everyMs); // WORKFLOW_SWEEP_INTERVAL=0: no sweeping on this worker
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /** One sweep as of `now`: the ids of the records it closed. */
  async sweep(now = new Date()): Promise<string[]> {
    const unmoved = await this.deployments.unmovedSince(new Date(now.getTime() - this.settings.graceMs));
    const listed = new Set(unmoved.map((record) => record._id));
    for (const id of this.leftOpen.keys()) if (!listed.has(id)) this.leftOpen.delete(id);
    const closed: string[] = [];
    for (const { _id: id, workflowId, updatedAt } of unmoved) {
      if (now.getTime() - (this.leftOpen.get(id) ?? -Infinity) < this.settings.graceMs) continue;
      const status = await this.workflows.workflowStatus(workflowId); // Temporal unreachable: the sweep fails, and retries next time
      // Never moved by a workflow and none in Temporal: its start failed (the sender was answered
      // 503 deploy:temporal:unavailable); a redelivery or retry starts it, so it stays open.
      if ((status !== null && STILL_RUNNING.includes(status)) || (status === null && !updatedAt)) {
        this.leftOpen.set(id, now.getTime());
        continue;
      }
      const record = await this.deployments.findById(id);
      if (record && !hasEnded(record) && (await this.close(record, status, now))) closed.push(id);
    }
    return closed;
  }

  /**
   * Ends the log as the workflow's failure path does (the step it stood at ends in error, then
   * `done`), entries first: a record that shows `done` promises a complete log. Then the record,
   * only if it has not ended meanwhile. A log that has its `done` already (written just before
   * the workflow stopped) keeps it, and the record follows that entry.
   */
  private async close(record: DeploymentRecord, status: string | null, now: Date): Promise<boolean> {
    let end = await this.status.lastOf(record._id);
    if (end?.step !== 'done') {
      const again = isUndeployment(record.workflowId) ? 'Ask for the undeployment again' : 'Retry the deployment';
      const said = status === null ? '' : ` (Temporal status ${status})`;
      const message = `The deployment's workflow ${ending(status)}${said} before it recorded its end; deploy-webhooks closed the record. ${again} to run it again.`;
      const error = { code: Errors.deployTerminated.code, message };
      const entry: Omit<NewStatusEntry, '_id'> = {
        uuid: record.uuid,
        user: record.user,
        app_name: end?.app_name ?? record.app ?? record.repository.split('/')[1],
        deployment: record._id,
        status: 'error',
        step: 'done',
        provider: record.provider,
        commit: `${record.repository}/${record.commit}`,
        message,
        error,
        ts: now,
      };
      // Never earlier than the entry before: the log is read in time order, and another sweeper
      // (whose clock read `now` later) may have written the step's entry this one finds.
      const after = (last: StatusEntry | null) => (last && last.ts > now ? last.ts : now);
      if (end && end.step !== 'received' && end.status !== 'error')
        end = (await this.status.appendAtEnd({ ...entry, step: end.step, ts: after(end) })).entry;
      if (end?.step !== 'done') end = (await this.status.appendAtEnd({ ...entry, ts: after(end) })).entry;
    }
    const moved = await this.deployments.recordProgress(
      {
        seq: seqOfEntryId(end._id),
        deploymentId: record._id,
        user: record.user,
        uuid: record.uuid,
        app_name: end.app_name,
        provider: record.provider,
        commit: end.commit,
        step: 'done',
        status: end.status,
        message: end.message,
        error: end.error,
      },
      now,
      { live: true },
    );
    if (!moved) return false;
    this.logger.warn(`closed deployment ${record._id} (${record.workflowId}): its workflow ${ending(status)}`);
    // Its app's line may hold it as the deployment at the target: free the line now, not at its next check.
    if (record.app)
      await this.workflows
        .leaveLine(record.user, record.app, record._id)
        .catch((error: Error) => this.logger.warn(`release line of ${record.app} not told: ${error.message}`));
    return true;
  }

  private sweepLogged(): Promise<unknown> {
    return this.sweep().catch((error: Error) =>
      this.logger.warn(`workflow-end sweep failed (next one in ${this.settings.everyMs} ms): ${error.message}`),
    );
  }
}
