import { reportStoreFailures } from '../../apps/worker/store-failures';
import { withStepEntriesAll } from '../../libs/pipeline/step-entries';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import type {
  CiGates,
  CiVerdict,
  DeploymentActivitiesApi,
  GithubActivitiesApi,
  HealthActivitiesApi,
  LineActivitiesApi,
  NotificationActivitiesApi,
  TargetStatus,
} from '../../workflows/activities';
import { deployment } from '../../workflows/deployment.workflow';
import { lineDecisionSignal } from '../../workflows/line.workflow';
import type { DeploymentInput, DeploymentOutcome, HealthCheckPlan, HealthProbeResult, StatusWrite } from '../../workflows/types';
import { startTimeSkippingEnvironment, timersOf, workflowTimeOf } from '../support/time-skipping';

/**
 * The health-checked bake's timers on Temporal's time-skipping test server
 * (docs/contract.md#verified-releases): a 30-minute bake passes in moments, and the timers are read
 * from each run's history (what the workflow asked Temporal for). The activities are fakes: the
 * health URL's answers are scripted per probe; the e2e tests run the real ones.
 */
type Activities = DeploymentActivitiesApi & GithubActivitiesApi & LineActivitiesApi & NotificationActivitiesApi & HealthActivitiesApi;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const NOT_GATED = { gated: false, reason: 'not asked for' };

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `bake-${randomBytes(4).toString('hex')}`;
let fakes: Activities;
let statusLog: StatusWrite[];
let rollbacksAsked: Array<{ deploymentId: string; reason: string }>;
let probesMade: number;

const check = (overrides: Partial<HealthCheckPlan> = {}): HealthCheckPlan => ({
  url: 'https://hello.example.com/healthz',
  expectStatus: [200, 399],
  intervalMs: 10 * SECOND,
  timeoutMs: 5 * SECOND,
  failureThreshold: 3,
  bakeMs: 2 * MINUTE,
  initialDelayMs: 0,
  ...overrides,
});

/** A deployment that goes straight to the target; `answers(n)` is the health URL's answer to the n-th probe (from 1). */
function fakesFor(plan: HealthCheckPlan | undefined, answers: (probe: number) => HealthProbeResult): Activities {
  return {
    // Idempotent by number, as the store's (a failed step's `pending` is written again).
    recordStatus: async (write) => void (statusLog.some((logged) => logged.seq === write.seq) || statusLog.push(write)),
    ciGate: async () => NOT_GATED,
    ciGates: async (): Promise<CiGates> => ({ travis: NOT_GATED, github: NOT_GATED, pollMs: 10 * MINUTE }),
    githubChecks: async (): Promise<CiVerdict> => ({ state: 'success', failing: [], waiting: [] }),
    githubDeployment: async () => null,
    githubDeploymentStatus: async () => undefined,
    resolvePackage: async () => ({ name: 'hello', version: '1.0.0' }),
    resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: true, retain: true, ...(plan ? { healthCheck: plan } : {}) }),
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
    probeHealth: async () => answers(++probesMade),
    autoRollback: async ({ deploymentId, reason }) => {
      rollbacksAsked.push({ deploymentId, reason });
      return { started: true, deploymentId: 'rollback-1', release: 4, rolledBackTo: 4 };
    },
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

async function deploy() {
  const args = input();
  const handle = await env.client.workflow.start(deployment, { taskQueue, workflowId: args.deploymentId, args: [args] });
  const outcome: DeploymentOutcome = await handle.result();
  const history = await handle.fetchHistory();
  const activities = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
  return { args, outcome, timers: timersOf(history), tookMs: workflowTimeOf(history), activities };
}

const verifying = () => statusLog.filter((write) => write.step === 'verifying');
const OK: HealthProbeResult = { ok: true, answer: '200' };
const FAILED: HealthProbeResult = { ok: false, answer: '500 (expected 200-399)' };

beforeAll(async () => {
  env = await startTimeSkippingEnvironment();
  const activities = Object.fromEntries(
    Object.keys(fakesFor(undefined, () => OK)).map((name) => [
      name,
      (...args: unknown[]) => (fakes[name as keyof Activities] as (...a: unknown[]) => Promise<unknown>)(...args),
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
  rollbacksAsked = [];
  probesMade = 0;
});

describe('the health-checked bake', () => {
  it('passes a 30-minute bake at 10 s on durable timers: a probe per interval, three entries in all, no rollback', async () => {
    fakes = fakesFor(check({ bakeMs: 30 * MINUTE }), () => OK);
    const run = await deploy();
    expect(run.outcome).toEqual({ state: 'succeeded', error: undefined });
    // One probe at the cut-over, then one after each 10-second timer until 30 minutes have passed.
    expect(probesMade).toBe(181);
    expect(run.timers.filter((ms) => ms === 10 * SECOND)).toHaveLength(180);
    expect(run.tookMs).toBeGreaterThanOrEqual(30 * MINUTE);
    // The bake's start and its end: no entry per passing probe.
    expect(verifying().map((w) => w.status)).toEqual(['pending', 'ok']);
    expect(verifying()[1].message).toMatch(
      /^The bake passed: 181 probes of https:\/\/hello\.example\.com\/healthz over 18\d\d(\.\d)? s, never 3 failures in a row\.$/,
    );
    expect(rollbacksAsked).toEqual([]);
    expect(statusLog.at(-1)).toMatchObject({ step: 'done', status: 'ok' });
  }, 120_000);

  it('waits the initial delay first, and a failure streak under the threshold does not fail the bake', async () => {
    fakes = fakesFor(check({ initialDelayMs: 1 * MINUTE, bakeMs: 1 * MINUTE }), (n) => (n === 2 || n === 3 ? FAILED : OK));
    const run = await deploy();
    expect(run.outcome.state).toBe('succeeded');
    expect(run.timers[0]).toBe(MINUTE);
    expect(run.timers.filter((ms) => ms === 10 * SECOND)).toHaveLength(6);
    expect(verifying().map((w) => w.message)).toEqual([
      expect.stringMatching(/^Baking: .* every 10 s for 60 s, from 60 s after the cut-over; 3 failures in a row roll hello back\.$/),
      'Health check 2 failed: 500 (expected 200-399) (1 of 3 in a row).',
      'Health check 3 failed: 500 (expected 200-399) (2 of 3 in a row).',
      expect.stringMatching(/^The bake passed: 7 probes/),
    ]);
    expect(rollbacksAsked).toEqual([]);
  }, 60_000);

  it('ends deploy:health:failed at the third failure in a row, naming the answers, after asking once for the rollback', async () => {
    fakes = fakesFor(check(), (n) =>
      n >= 2 ? { ok: false, answer: n === 4 ? 'timed out after 5000 ms without progress' : '500 (expected 200-399)' } : OK,
    );
    const run = await deploy();
    const message =
      '3 health checks of https://hello.example.com/healthz failed in a row: 500 (expected 200-399); 500 (expected 200-399); timed out after 5000 ms without progress. Rolling hello back to release v4 (deployment rollback-1); hello is locked until it is unlocked.';
    expect(run.outcome).toEqual({ state: 'failed', error: { code: 'deploy:health:failed', message } });
    // Within interval × threshold of the first failure: probes at 0, 10, 20 and 30 s.
    expect(probesMade).toBe(4);
    expect(run.tookMs).toBeLessThan(2 * MINUTE);
    expect(rollbacksAsked).toEqual([
      { deploymentId: run.args.deploymentId, reason: expect.stringMatching(/^3 health checks .* in a row: /) },
    ]);
    expect(verifying().map((w) => w.status)).toEqual(['pending', 'pending', 'pending', 'error']);
    expect(statusLog.at(-1)).toMatchObject({ step: 'done', status: 'error', error: { code: 'deploy:health:failed', message } });
  }, 60_000);

  it('ends deploy:health:failed and leaves the app as it is when there is nothing to roll back to', async () => {
    fakes = {
      ...fakesFor(check({ failureThreshold: 1 }), () => FAILED),
      autoRollback: async () => ({ started: false, reason: 'hello had no release live before this deployment; it stays as it is.' }),
    };
    const run = await deploy();
    expect(run.outcome.error).toEqual({
      code: 'deploy:health:failed',
      message:
        '1 health checks of https://hello.example.com/healthz failed in a row: 500 (expected 200-399). Nothing rolled back: hello had no release live before this deployment; it stays as it is.',
    });
  }, 60_000);

  it('does not count a probe that could not be made (its worker lost) as the app failing', async () => {
    fakes = fakesFor(check({ failureThreshold: 1, bakeMs: 30 * SECOND }), (n) => {
      if (n === 2) throw new Error('worker lost');
      return OK;
    });
    const run = await deploy();
    expect(run.outcome.state).toBe('succeeded');
    expect(probesMade).toBe(4);
  }, 60_000);

  it('does not bake an app without a health check: no verifying step, no timer', async () => {
    fakes = fakesFor(undefined, () => OK);
    const run = await deploy();
    expect(run.outcome.state).toBe('succeeded');
    expect(verifying()).toEqual([]);
    expect(run.timers).toEqual([]);
    expect(probesMade).toBe(0);
  }, 60_000);
});
