import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import { quick } from '../proxies';
import type { LineDecision, LineEndCode, LineEntry, LineEvent, LineInput, LineState } from '../types';
import { CommitOrder } from './commit-order';
import { lineDecisionSignal } from './messages';

type Ranked = LineState['entries'][number];

/**
 * One app's release line: the deployments it knows, in the order they became known, each
 * `pending` (its app known, not ready), `waiting` (ready for the target) or `running` (at the
 * target). Events are queued by the signal handler and handled one at a time by the workflow's
 * loop, so a GitHub compare never interleaves two decisions.
 */
export class AppLine {
  /** What the `line` query answers, and what a new run carries. */
  readonly state: LineState;
  private readonly events: LineEvent[] = [];
  private readonly order: CommitOrder;

  constructor(private readonly input: LineInput) {
    this.state = input.carried ?? { chain: [], entries: [], ranks: 0 };
    this.order = new CommitOrder(input, this.state.chain);
  }

  queue(event: LineEvent): void {
    this.events.push(event);
  }

  hasEvents(): boolean {
    return this.events.length > 0;
  }

  /** Nothing in the line and nothing to handle: an idle line may end. */
  isEmpty(): boolean {
    return this.state.entries.length === 0 && this.events.length === 0;
  }

  running(): Ranked | undefined {
    return this.state.entries.find((e) => e.stage === 'running');
  }

  /** A fresh line (first ever, or after it ended idle or was deleted) keeps the ordering it had: its head is in MongoDB. */
  async readHead(): Promise<void> {
    this.state.head = (await quick.readLineHead({ user: this.input.user, app: this.input.app })) ?? undefined;
  }

  /** Handles every queued event, in order; answers how many. */
  async handleEvents(): Promise<number> {
    let handled = 0;
    while (this.events.length > 0) {
      await this.handle(this.events.shift()!);
      handled++;
    }
    return handled;
  }

  /** One at a time: the newest ready one goes; everything older that has not reached the target ends. */
  async admit(): Promise<void> {
    for (;;) {
      if (this.running()) return;
      const ready = this.state.entries.filter((e) => e.stage === 'waiting');
      if (ready.length === 0) return;
      const next = ready.reduce((a, b) => (b.rank > a.rank ? b : a));
      // An explicit one (a retry) deploys what it names and replaces nothing: newer pushes still go after it.
      const replaced = next.explicit ? [] : this.state.entries.filter((e) => e.rank < next.rank && e.kind === 'deploy');
      for (const older of replaced) {
        await this.end(
          older,
          Errors.deploySuperseded.code,
          `A newer deployment of ${this.input.app} (${next.deploymentId}, ${next.commit.slice(0, 7)}) went to the target first; this one ended before uploading.`,
        );
      }
      next.stage = 'running';
      await this.tell(next, { type: 'admit' });
      if (this.state.entries.includes(next)) return; // else it was gone: the next one goes
    }
  }

  /** The state a new run starts from (continue-as-new). */
  carried(): LineState {
    this.state.chain = this.order.carried();
    return this.state;
  }

  async tell(entry: LineEntry, decision: LineDecision): Promise<void> {
    try {
      await getExternalWorkflowHandle(entry.workflowId).signal(lineDecisionSignal, decision);
    } catch {
      // The deployment is gone (ended, or terminated by an operator): it holds no place in the line.
      this.state.entries = this.state.entries.filter((e) => e.deploymentId !== entry.deploymentId);
    }
  }

  private async handle(event: LineEvent): Promise<void> {
    if (event.type === 'arrive') return this.arrive(event.entry);
    const entry = this.state.entries.find((e) => e.deploymentId === event.deploymentId);
    if (!entry) return; // ended already (a repeated signal)
    if (event.type === 'leave') {
      this.state.entries = this.state.entries.filter((e) => e !== entry);
      return;
    }
    if (event.type === 'hold') return this.hold(entry);
    if (entry.stage !== 'pending' && entry.stage !== 'held') return;
    entry.stage = 'waiting';
    const running = this.running();
    if (running) await this.tell(entry, { type: 'wait', behind: running.deploymentId, commit: running.commit });
  }

  private async arrive(entry: LineEntry): Promise<void> {
    const { app } = this.input;
    if (this.state.entries.some((e) => e.deploymentId === entry.deploymentId)) return;
    this.order.remember(entry);
    const undeploying = this.state.entries.find((e) => e.kind === 'undeploy');
    if (undeploying && entry.kind === 'deploy') {
      return this.tell(entry, {
        type: 'end',
        code: Errors.deployCanceled.code,
        message: `${app} is being removed from its target (${undeploying.deploymentId}); a deployment asked meanwhile does not put it back.`,
      });
    }
    const locking = this.state.entries.find((e) => e.locks !== undefined);
    if (locking && entry.kind === 'deploy' && entry.locks === undefined)
      return this.tell(entry, { type: 'end', ...lockedOut(app, locking) });
    if (entry.locks !== undefined) {
      // An automatic rollback goes next: nothing waiting may deploy before it, or after it while the app is locked.
      for (const other of this.state.entries.filter((e) => e.stage !== 'running' && e.kind === 'deploy'))
        await this.end(other, Errors.deployCanceled.code, lockedOut(app, entry).message);
    }
    if (entry.kind === 'undeploy') {
      // The app is being removed: nothing that waits for the target may put it back.
      for (const other of this.state.entries.filter((e) => e.stage !== 'running' && e.kind === 'deploy')) {
        await this.end(
          other,
          Errors.deployCanceled.code,
          `${app} is being removed from its target (${entry.deploymentId}); this deployment ended before reaching it.`,
        );
      }
    } else if (!entry.explicit && !(await this.ordered(entry))) return;
    const ranked: Ranked = { ...entry, rank: ++this.state.ranks, stage: 'pending' };
    this.state.entries.push(ranked);
    if (entry.kind === 'deploy' && !entry.explicit) {
      for (const held of this.state.entries.filter((e) => e.stage === 'held' && e.rank < ranked.rank))
        await this.supersedeHeld(held, ranked);
    }
  }

  /**
   * A deployment held for approval or a deploy window (docs/contract.md#approvals): a newer push of
   * the app, known already or arriving later, supersedes it, naming the newer one (which asks afresh).
   */
  private async hold(entry: Ranked): Promise<void> {
    if (entry.stage !== 'pending') return;
    entry.stage = 'held';
    const newer = this.state.entries.find((e) => e.rank > entry.rank && e.kind === 'deploy' && !e.explicit);
    if (newer) await this.supersedeHeld(entry, newer);
  }

  private async supersedeHeld(held: Ranked, newer: Ranked): Promise<void> {
    await this.end(
      held,
      Errors.deploySuperseded.code,
      `A newer push of ${this.input.app} (${newer.commit.slice(0, 7)}, deployment ${newer.deploymentId}) superseded this deployment while it was held (approval or deploy window); the newer one asks afresh.`,
    );
  }

  /** Orders a push against the newest known commit: a newer one becomes the head, a stale one ends at once (false). */
  private async ordered(entry: LineEntry): Promise<boolean> {
    const { app, user } = this.input;
    const order = await this.order.place(this.state.head, entry);
    if (order === 'stale') {
      const head = this.state.head!;
      // Received before the newer push (the two raced here): replaced by it, not a late delivery.
      if (entry.receivedAt && head.receivedAt && entry.receivedAt < head.receivedAt) {
        await this.tell(entry, {
          type: 'end',
          code: Errors.deploySuperseded.code,
          message: `A newer push of ${app} (${head.commit.slice(0, 7)}, deployment ${head.deploymentId}) superseded this deployment before it was uploaded.`,
        });
        return false;
      }
      const message = `${entry.commit.slice(0, 7)} is older than ${head.commit.slice(0, 7)} (deployment ${head.deploymentId}), the newest known commit of ${app}; not deploying it.`;
      await this.tell(entry, { type: 'end', code: Errors.deployStale.code, message });
      return false;
    }
    if (order === 'newer') {
      const { commit, repository, deploymentId, pushedAt, receivedAt } = entry;
      this.state.head = { commit, repository, deploymentId, pushedAt, receivedAt };
      await quick.writeLineHead({ user, app, head: this.state.head });
    }
    return true;
  }

  private async end(entry: Ranked, code: (typeof Errors)['deploySuperseded' | 'deployCanceled']['code'], message: string): Promise<void> {
    this.state.entries = this.state.entries.filter((e) => e !== entry);
    await this.tell(entry, { type: 'end', code, message });
  }
}

/** Why a deployment waiting in a line an automatic rollback locks ends (docs/contract.md#verified-releases). */
function lockedOut(app: string, rollback: LineEntry): { code: LineEndCode; message: string } {
  return {
    code: Errors.deployCanceled.code,
    message: `${app} is locked after an automatic rollback to ${rollback.locks} (${rollback.deploymentId}): a failed health check rolled it back; this deployment ended before reaching the target. POST /1/apps/:user/${app}/unlock lets pushes deploy again.`,
  };
}
