import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { tsToMs } from '@temporalio/common/lib/time';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { reportStoreFailures } from '../../apps/worker/store-failures';
import { withStepEntriesAll } from '../../libs/pipeline/step-entries';
import { windowCheck, type DeployFreeze, type DeployWindow } from '../../libs/apps/deploy-windows';
import type {
  CiGates,
  DeploymentActivitiesApi,
  GithubActivitiesApi,
  LineActivitiesApi,
  NotificationActivitiesApi,
  ResolvedApp,
  TargetStatus,
  WindowActivitiesApi,
} from '../../workflows/activities';
import { approveUpdate, deployment, deployNowUpdate, rejectUpdate } from '../../workflows/deployment.workflow';
import { lineDecisionSignal } from '../../workflows/line.workflow';
import type { DeploymentInput, DeploymentOutcome, StatusWrite } from '../../workflows/types';
import { startTimeSkippingEnvironment, timersOf } from '../support/time-skipping';

/**
 * Approvals and deploy windows on Temporal's time-skipping test server
 * (docs/contract.md#approvals, docs/contract.md#deploy-windows-and-freezes): a 72-hour approval
 * wait, a window across a daylight-saving change, a freeze and its override. The activities are
 * fakes (the window's opening is the product's own computation); the e2e tests run the real ones.
 * Instants are read from each run's history (workflow time), never from a clock.
 */
type Activities = DeploymentActivitiesApi & GithubActivitiesApi & LineActivitiesApi & NotificationActivitiesApi & WindowActivitiesApi;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOT_GATED = { gated: false, reason: 'not asked for' };
const RULE = { required: 1, reviewers: ['alice', 'bob'], self: ['alice'], allowSelf: false, timeoutMs: 72 * HOUR };

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `approvals-${randomBytes(4).toString('hex')}`;
let fakes: Activities;
let statusLog: StatusWrite[];
const calls: Record<string, number> = {};
let holds: { windows: DeployWindow[]; freezes: DeployFreeze[] };

function fakesFor(app: Partial<ResolvedApp>): Activities {
  return {
    // Idempotent by number, as the store's (a failed step's `pending` is written again).
    recordStatus: async (write) => void (statusLog.some((logged) => logged.seq === write.seq) || statusLog.push(write)),
    ciGate: async () => NOT_GATED,
    ciGates: async (): Promise<CiGates> => ({ travis: NOT_GATED, github: NOT_GATED, pollMs: 10 * MINUTE }),
    githubChecks: async () => ({ state: 'success', failing: [], waiting: [] }),
    githubDeployment: async () => null,
    githubDeploymentStatus: async () => undefined,
    resolvePackage: async () => ({ name: 'hello', version: '1.0.0' }),
    resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: false, retain: false, ...app }),
    liveDeployment: async () => ({ commit: 'none' }),
    fetchTarball: async () => ({ blobId: 'blob-1', bytes: 100, sha256: 'ab'.repeat(32) }),
    inspectTarball: async () => ({ entries: 1, bytes: 100 }),
    uploadPackage: async () => ({ remoteId: 'remote-1' }),
    activateRelease: async () => ({ remoteId: 'remote-activate' }),
    pollTarget: async (): Promise<TargetStatus> => ({ state: 'SUCCESS', records: [] }),
    commitStatus: async () => undefined,
    finishDeployment: async () => undefined,
    signalLine: async ({ event }) => {
      if (event.type !== 'ready') return;
      await env.client.workflow
        .getHandle(Context.current().info.workflowExecution!.workflowId)
        .signal(lineDecisionSignal, { type: 'admit' });
    },
    compareCommits: async () => 'ahead',
    readLineHead: async () => null,
    writeLineHead: async () => undefined,
    notify: async () => undefined,
    deliverNotification: async () => undefined,
    deliveryGaveUp: async () => undefined,
    deployWindow: async ({ at }) => windowCheck(holds.windows, holds.freezes, new Date(at)),
  };
}

function input(): DeploymentInput {
  const id = randomBytes(6).toString('hex');
  return {
    deploymentId: `dep-${id}`,
    user: 'alice',
    repository: 'alice/hello',
    commit: id.padEnd(40, '0'),
    uuid: `uuid-${id}`,
    provider: 'github',
    ciTimeoutMs: 30 * MINUTE,
    push: { payloadId: `payload-${id}`, branch: 'main', app: 'hello' },
  };
}

const start = (args: DeploymentInput) => env.client.workflow.start(deployment, { taskQueue, workflowId: args.deploymentId, args: [args] });

/** Waits (real time, no skipping) until the deployment logged `step` pending: it is held there. */
async function heldAt(step: StatusWrite['step']): Promise<void> {
  for (let waited = 0; !statusLog.some((w) => w.step === step && w.status === 'pending'); waited += 50) {
    if (waited > 30_000) throw new Error(`never reached ${step}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The catalogue code an Update's validator refused with. */
async function refusal(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    if (!(error instanceof WorkflowUpdateFailedError)) throw error;
    return (error.cause as ApplicationFailure).type ?? undefined;
  }
}

const entries = (step: StatusWrite['step']) => statusLog.filter((w) => w.step === step);

beforeAll(async () => {
  env = await startTimeSkippingEnvironment();
  const activities = Object.fromEntries(
    Object.keys(fakesFor({})).map((name) => [
      name,
      (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return (fakes[name as keyof Activities] as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    activities: reportStoreFailures(withStepEntriesAll(activities), { toleranceMs: 10 * MINUTE }),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  if (worker) {
    worker.shutdown();
    await running;
  }
  await env?.teardown();
});

beforeEach(() => {
  statusLog = [];
  holds = { windows: [], freezes: [] };
  for (const name of Object.keys(calls)) delete calls[name];
});

describe('deployment: awaiting approval', () => {
  it('refuses the pusher (self) and a non-reviewer, deploys once on a reviewer’s approval, and refuses a second decision (closed)', async () => {
    fakes = fakesFor({ approval: RULE });
    const handle = await start(input());
    await heldAt('awaiting_approval');
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'alice' }] }))).toBe('deploy:approval:self');
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'carol' }] }))).toBe('deploy:approval:not_reviewer');
    const answer = await handle.executeUpdate(approveUpdate, { args: [{ user: 'bob', comment: 'Looks right.' }] });
    expect(answer).toEqual({ decision: 'approved', approvals: 1, required: 1, proceeds: true });
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'bob' }] }))).toBe('deploy:approval:closed');
    const outcome: DeploymentOutcome = await handle.result();
    expect(outcome.state).toBe('succeeded');
    expect(calls.uploadPackage).toBe(1);
    expect(entries('awaiting_approval').map((w) => [w.status, w.message])).toEqual([
      ['pending', expect.stringContaining('Awaiting 1 approval') as string],
      ['ok', 'Approved by bob: Looks right.'],
    ]);
    const decisions = statusLog.at(-1)!.hold!.approval!;
    expect(decisions.outcome).toBe('approved');
    expect(decisions.decisions).toEqual([{ user: 'bob', decision: 'approved', comment: 'Looks right.', at: expect.any(String) as string }]);
  });

  it('waits for the second of two required approvals, logging the first', async () => {
    fakes = fakesFor({ approval: { ...RULE, required: 2, reviewers: ['bob', 'dana'] } });
    const handle = await start(input());
    await heldAt('awaiting_approval');
    expect(await handle.executeUpdate(approveUpdate, { args: [{ user: 'bob' }] })).toEqual({
      decision: 'approved',
      approvals: 1,
      required: 2,
      proceeds: false,
    });
    expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ user: 'bob' }] }))).toBe('deploy:approval:closed');
    expect(await handle.executeUpdate(approveUpdate, { args: [{ user: 'dana' }] })).toMatchObject({ approvals: 2, proceeds: true });
    expect((await handle.result()).state).toBe('succeeded');
    expect(entries('awaiting_approval').map((w) => w.message)).toEqual([
      expect.stringContaining('Awaiting 2 approvals'),
      'Approved by bob.',
      'Approved by dana.',
    ]);
  });

  it('ends deploy:approval:rejected on a rejection, uploading nothing', async () => {
    fakes = fakesFor({ approval: RULE });
    const handle = await start(input());
    await heldAt('awaiting_approval');
    const answer = await handle.executeUpdate(rejectUpdate, { args: [{ user: 'bob', comment: 'Not today.' }] });
    expect(answer).toEqual({ decision: 'rejected', approvals: 0, required: 1, proceeds: false });
    const outcome: DeploymentOutcome = await handle.result();
    expect(outcome).toEqual({ state: 'failed', error: { code: 'deploy:approval:rejected', message: 'Rejected by bob: Not today.' } });
    expect(calls.uploadPackage).toBeUndefined();
  });

  it('expires exactly once after 72 hours without a decision: deploy:approval:expired, one timer, one end', async () => {
    fakes = fakesFor({ approval: RULE });
    const handle = await start(input());
    const outcome: DeploymentOutcome = await handle.result();
    expect(outcome.state).toBe('failed');
    expect(outcome.error?.code).toBe('deploy:approval:expired');
    // One timer, to the deadline the entry names (72 hours from when the wait began, less the ms its first entry took).
    const timers = timersOf(await handle.fetchHistory());
    expect(timers).toHaveLength(1);
    expect(timers[0]).toBeLessThanOrEqual(72 * HOUR);
    expect(timers[0]).toBeGreaterThan(72 * HOUR - MINUTE);
    expect(entries('done')).toHaveLength(1);
    expect(calls.uploadPackage).toBeUndefined();
  });
});

/** The next daylight-saving change of Europe/Berlin at least two weeks ahead: the last Sunday of March or of October. */
function nextBerlinChange(after: number): { sunday: number; offsetBeforeH: number; offsetAfterH: number } {
  for (let year = new Date(after).getUTCFullYear(); ; year++) {
    for (const [month, before, afterH] of [
      [2, 1, 2],
      [9, 2, 1],
    ] as const) {
      const last = new Date(Date.UTC(year, month + 1, 0));
      const sunday = last.getTime() - last.getUTCDay() * 24 * HOUR;
      if (sunday > after + 14 * 24 * HOUR) return { sunday, offsetBeforeH: before, offsetAfterH: afterH };
    }
  }
}

describe('deployment: deploy windows and freezes', () => {
  it('waits outside a 09:00–17:00 Europe/Berlin window over a daylight-saving change and deploys at 09:00 local the Monday after', async () => {
    holds.windows = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00', tz: 'Europe/Berlin' }];
    fakes = fakesFor({ windowed: true });
    // Skip to the Friday evening before the change (20:00 local), outside the window.
    const change = nextBerlinChange(await env.currentTimeMs());
    const friday = change.sunday - 2 * 24 * HOUR + (20 - change.offsetBeforeH) * HOUR;
    await env.sleep(friday - (await env.currentTimeMs()));
    const monday = change.sunday + 24 * HOUR + (9 - change.offsetAfterH) * HOUR;

    const handle = await start(input());
    const outcome: DeploymentOutcome = await handle.result();
    expect(outcome.state).toBe('succeeded');
    expect(entries('waiting_for_window')[0].message).toContain(`the next opening is ${new Date(monday).toISOString()}`);
    // The last timer fires then (a timer starts when its task completes, milliseconds after the
    // workflow time it was computed at), and the upload is scheduled only then: an hour's error
    // of a zone's offset would show here.
    const events = (await handle.fetchHistory()).events ?? [];
    const timers = events.filter((e) => e.timerStartedEventAttributes);
    const last = timers[timers.length - 1];
    const fires = tsToMs(last.eventTime) + tsToMs(last.timerStartedEventAttributes!.startToFireTimeout);
    expect(fires).toBeGreaterThanOrEqual(monday);
    expect(fires).toBeLessThan(monday + MINUTE);
    const upload = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'uploadPackage')!;
    expect(tsToMs(upload.eventTime)).toBeGreaterThanOrEqual(monday);
    expect(tsToMs(upload.eventTime)).toBeLessThan(monday + MINUTE);
    expect(calls.uploadPackage).toBe(1);
  });

  it('holds a deployment during a freeze; deploy-now with a reason deploys it, the reason logged, and a second deploy-now is closed', async () => {
    const now = await env.currentTimeMs();
    holds.freezes = [{ from: new Date(now - HOUR).toISOString(), to: new Date(now + 10 * 24 * HOUR).toISOString(), reason: 'Holidays' }];
    fakes = fakesFor({ windowed: true });
    const handle = await start(input());
    await heldAt('waiting_for_window');
    expect(entries('waiting_for_window')[0].message).toContain('frozen until');
    expect(calls.uploadPackage).toBeUndefined();
    expect(await handle.executeUpdate(deployNowUpdate, { args: [{ user: 'bob', reason: 'Hotfix for the outage' }] })).toEqual({
      proceeds: true,
    });
    expect(await refusal(handle.executeUpdate(deployNowUpdate, { args: [{ user: 'bob', reason: 'again' }] }))).toBe(
      'deploy:approval:closed',
    );
    const outcome: DeploymentOutcome = await handle.result();
    expect(outcome.state).toBe('succeeded');
    expect(calls.uploadPackage).toBe(1);
    expect(entries('waiting_for_window').at(-1)!.message).toBe('Deployed now by bob, outside the deploy window: Hotfix for the outage');
    expect(statusLog.at(-1)!.hold!.window!.deployedNow).toMatchObject({ user: 'bob', reason: 'Hotfix for the outage' });
  });
});
