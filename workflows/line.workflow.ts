import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LineActivitiesApi } from './activities';
import { Errors } from '../libs/errors/catalogue';
import type { LineDecision, LineEntry, LineEvent, LineInput, LineState } from './types';

export const lineEventSignal = defineSignal<[LineEvent]>('lineEvent');
/** Sent to a deployment: go to the target, wait behind another one, or end without uploading. */
export const lineDecisionSignal = defineSignal<[LineDecision]>('lineDecision');
export const lineQuery = defineQuery<LineState>('line');

const quick = proxyLocalActivities<LineActivitiesApi>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** Pushes kept for ancestry by `before`/`after`; older ones are asked of GitHub. */
const CHAIN_KEPT = 500;
/** Events handled per run before continue-as-new (Temporal also suggests it when history grows). */
const EVENTS_PER_RUN = 1000;
/** An idle line with nothing in it ends; the next deployment starts it again (its head is in MongoDB). */
const IDLE_MS = 60 * 60 * 1000;
/**
 * How often the line checks that the deployment at the target still exists: one terminated by an
 * operator never says it left, and a signal to it fails.
 */
const PROBE_MS = 10 * 60 * 1000;

type Ranked = LineState['entries'][number];

/**
 * An app's release line (SPEC 6.1, 6.2), one entity workflow per (user, app), id
 * `line/<user>/<app>`. Deployments arrive (signal-with-start from an activity) as soon as their
 * app is known; the line orders them by commit (stale pushes end at once), and admits one at a
 * time to the target once it is ready (CI, fetch and inspect done). When the running one leaves,
 * the newest waiting one goes and every older one ends `deploy:superseded`. Signals are queued
 * and handled one at a time by the main loop, so a GitHub compare never interleaves two decisions.
 */
export async function line(input: LineInput): Promise<void> {
  const state: LineState = input.carried ?? { chain: [], entries: [], ranks: 0 };
  const events: LineEvent[] = [];
  setHandler(lineEventSignal, (event) => void events.push(event));
  setHandler(lineQuery, () => state);
  const chain = new Map(state.chain);

  // A fresh line (first ever, or after it ended idle or was deleted) keeps the ordering it had.
  if (!input.carried) state.head = (await quick.readLineHead({ user: input.user, app: input.app })) ?? undefined;

  let handled = 0;
  for (;;) {
    const running = state.entries.find((e) => e.stage === 'running');
    const woke = await condition(() => events.length > 0, running ? PROBE_MS : IDLE_MS);
    if (!woke && state.entries.length === 0 && events.length === 0) return;
    if (!woke && running) await tell(running, { type: 'admit' }); // admitted already: a no-op unless it is gone
    while (events.length > 0) {
      await handle(events.shift()!);
      handled++;
    }
    await admit();
    if (events.length === 0 && (handled >= (input.eventsPerRun ?? EVENTS_PER_RUN) || workflowInfo().continueAsNewSuggested)) {
      state.chain = [...chain].slice(-CHAIN_KEPT);
      await continueAsNew<typeof line>({ ...input, carried: state });
    }
  }

  async function handle(event: LineEvent): Promise<void> {
    if (event.type === 'arrive') return arrive(event.entry);
    const entry = state.entries.find((e) => e.deploymentId === event.deploymentId);
    if (!entry) return; // ended already (a repeated signal)
    if (event.type === 'leave') {
      state.entries = state.entries.filter((e) => e !== entry);
      return;
    }
    if (entry.stage !== 'pending') return;
    entry.stage = 'waiting';
    const running = state.entries.find((e) => e.stage === 'running');
    if (running) await tell(entry, { type: 'wait', behind: running.deploymentId, commit: running.commit });
  }

  async function arrive(entry: LineEntry): Promise<void> {
    if (state.entries.some((e) => e.deploymentId === entry.deploymentId)) return;
    if (entry.before && !/^0+$/.test(entry.before)) {
      chain.delete(entry.commit); // re-inserted last: the map's order is its age
      chain.set(entry.commit, entry.before);
      if (chain.size > CHAIN_KEPT) chain.delete(chain.keys().next().value!);
    }
    const undeploying = state.entries.find((e) => e.kind === 'undeploy');
    if (undeploying && entry.kind === 'deploy') {
      return tell(entry, {
        type: 'end',
        code: Errors.deployCanceled.code,
        message: `${input.app} is being removed from its target (${undeploying.deploymentId}); a deployment asked meanwhile does not put it back.`,
      });
    }
    if (entry.kind === 'undeploy') {
      // The app is being removed: nothing that waits for the target may put it back.
      for (const other of state.entries.filter((e) => e.stage !== 'running' && e.kind === 'deploy')) {
        await end(
          other,
          Errors.deployCanceled.code,
          `${input.app} is being removed from its target (${entry.deploymentId}); this deployment ended before reaching it.`,
        );
      }
    } else if (!entry.explicit) {
      const order = await place(entry);
      if (order === 'stale') {
        const head = state.head!;
        // Received before the newer push (the two raced here): replaced by it, not a late delivery.
        if (entry.receivedAt && head.receivedAt && entry.receivedAt < head.receivedAt) {
          return tell(entry, {
            type: 'end',
            code: Errors.deploySuperseded.code,
            message: `A newer push of ${input.app} (${head.commit.slice(0, 7)}, deployment ${head.deploymentId}) superseded this deployment before it was uploaded.`,
          });
        }
        const message = `${entry.commit.slice(0, 7)} is older than ${head.commit.slice(0, 7)} (deployment ${head.deploymentId}), the newest known commit of ${input.app}; not deploying it.`;
        return tell(entry, { type: 'end', code: Errors.deployStale.code, message });
      }
      if (order === 'newer') {
        state.head = {
          commit: entry.commit,
          repository: entry.repository,
          deploymentId: entry.deploymentId,
          pushedAt: entry.pushedAt,
          receivedAt: entry.receivedAt,
        };
        await quick.writeLineHead({ user: input.user, app: input.app, head: state.head });
      }
    }
    state.entries.push({ ...entry, rank: ++state.ranks, stage: 'pending' });
  }

  /** Where a push stands against the newest known commit (SPEC 6.1). */
  async function place(entry: LineEntry): Promise<'newer' | 'same' | 'stale'> {
    const head = state.head;
    if (!head) return 'newer';
    if (head.commit === entry.commit) return 'same';
    if (reaches(entry.before, head.commit)) return 'newer';
    if (reaches(chain.get(head.commit), entry.commit)) return 'stale';
    const compared = await quick.compareCommits({
      user: input.user,
      app: input.app,
      repository: entry.repository,
      base: head.commit,
      head: entry.commit,
    });
    if (compared === 'ahead') return 'newer';
    if (compared === 'behind') return 'stale';
    if (compared === 'identical') return 'same';
    // A forced push (diverged) or GitHub could not tell: the later push wins.
    if (entry.pushedAt && head.pushedAt) return Date.parse(entry.pushedAt) >= Date.parse(head.pushedAt) ? 'newer' : 'stale';
    return 'newer';
  }

  /** Whether walking `before` links from `from` reaches `target`. */
  function reaches(from: string | undefined, target: string): boolean {
    for (let commit = from, steps = 0; commit && steps <= CHAIN_KEPT; commit = chain.get(commit), steps++) {
      if (commit === target) return true;
    }
    return false;
  }

  /** One at a time (SPEC 6.2): the newest ready one goes; everything older that has not reached the target ends. */
  async function admit(): Promise<void> {
    for (;;) {
      if (state.entries.some((e) => e.stage === 'running')) return;
      const ready = state.entries.filter((e) => e.stage === 'waiting');
      if (ready.length === 0) return;
      const next = ready.reduce((a, b) => (b.rank > a.rank ? b : a));
      // An explicit one (a retry) deploys what it names and replaces nothing: newer pushes still go after it.
      const replaced = next.explicit ? [] : state.entries.filter((e) => e.rank < next.rank && e.kind === 'deploy');
      for (const older of replaced) {
        await end(
          older,
          Errors.deploySuperseded.code,
          `A newer deployment of ${input.app} (${next.deploymentId}, ${next.commit.slice(0, 7)}) went to the target first; this one ended before uploading.`,
        );
      }
      next.stage = 'running';
      await tell(next, { type: 'admit' });
      if (state.entries.includes(next)) return; // else it was gone: the next one goes
    }
  }

  async function end(entry: Ranked, code: (typeof Errors)['deploySuperseded' | 'deployCanceled']['code'], message: string): Promise<void> {
    state.entries = state.entries.filter((e) => e !== entry);
    await tell(entry, { type: 'end', code, message });
  }

  async function tell(entry: LineEntry, decision: LineDecision): Promise<void> {
    try {
      await getExternalWorkflowHandle(entry.workflowId).signal(lineDecisionSignal, decision);
    } catch {
      // The deployment is gone (ended, or terminated by an operator): it holds no place in the line.
      state.entries = state.entries.filter((e) => e.deploymentId !== entry.deploymentId);
    }
  }
}
