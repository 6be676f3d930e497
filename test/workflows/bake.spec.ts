import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { deployment } from '../../workflows/deployment.workflow';
import type { DeploymentOutcome, HealthCheckPlan, HealthProbeResult, StatusWrite } from '../../workflows/types';
import { DeploymentFakes, deploymentInput, FakeActivitiesWorker, straightThrough } from '../support/fake-activities';
import { timersOf, workflowTimeOf } from '../support/time-skipping';

/**
 * The health-checked bake's timers on Temporal's time-skipping test server
 * (docs/contract.md#verified-releases): a 30-minute bake passes in moments, and the timers are read
 * from each run's history (what the workflow asked Temporal for). The activities are fakes: the
 * health URL's answers are scripted per probe; the e2e tests run the real ones.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;

let worker: FakeActivitiesWorker;
let env: TestWorkflowEnvironment;
let fakes: DeploymentFakes;
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
function fakesFor(plan: HealthCheckPlan | undefined, answers: (probe: number) => HealthProbeResult): DeploymentFakes {
  return {
    ...straightThrough(
      () => env,
      () => statusLog,
    ),
    resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: true, retain: true, ...(plan ? { healthCheck: plan } : {}) }),
    probeHealth: async () => answers(++probesMade),
    autoRollback: async ({ deploymentId, reason }) => {
      rollbacksAsked.push({ deploymentId, reason });
      return { started: true, deploymentId: 'rollback-1', release: 4, rolledBackTo: 4 };
    },
  };
}

async function deploy() {
  const args = deploymentInput();
  const handle = await env.client.workflow.start(deployment, { taskQueue: worker.taskQueue, workflowId: args.deploymentId, args: [args] });
  const outcome: DeploymentOutcome = await handle.result();
  const history = await handle.fetchHistory();
  const activities = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
  return { args, outcome, timers: timersOf(history), tookMs: workflowTimeOf(history), activities };
}

const verifying = () => statusLog.filter((write) => write.step === 'verifying');
const OK: HealthProbeResult = { ok: true, answer: '200' };
const FAILED: HealthProbeResult = { ok: false, answer: '500 (expected 200-399)' };

beforeAll(async () => {
  worker = await FakeActivitiesWorker.start(
    'bake',
    fakesFor(undefined, () => OK),
    () => fakes,
  );
  env = worker.env;
}, 120_000);

afterAll(() => worker?.stop());

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
