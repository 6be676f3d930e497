import { ApplicationFailure } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import type { TargetStatus } from '../../workflows/activities';
import { ciSignal, deployment, UPLOAD_ATTEMPTS } from '../../workflows/deployment.workflow';
import { line, lineEventSignal } from '../../workflows/line.workflow';
import type { DeploymentInput, DeploymentOutcome, StatusWrite } from '../../workflows/types';
import { DeploymentFakes, deploymentInput, FakeActivitiesWorker, NOT_GATED, straightThrough } from '../support/fake-activities';
import { canceledTimersOf, timersOf, workflowTimeOf } from '../support/time-skipping';

/**
 * The workflows' timer paths on Temporal's time-skipping test server: an hour of workflow time
 * passes in moments, so the CI timeout, the receiver status poll back-off, the upload back-off
 * and the GitHub checks gate's waits are tested at their real durations. The activities are
 * fakes returning canned results: these test workflow logic; the e2e tests run the real ones.
 * Timers are read from each run's history (what the workflow asked Temporal for), not from a clock.
 */
type Activities = DeploymentFakes;

const MINUTE = 60_000;

let worker: FakeActivitiesWorker;
let env: TestWorkflowEnvironment;
let taskQueue: string;
let fakes: Activities;
let statusLog: StatusWrite[];
let calls: Record<string, number>;

/** Canned answers of a deployment that goes straight through; each test replaces what it drives. */
const defaultFakes = (): Activities =>
  straightThrough(
    () => env,
    () => statusLog,
  );

function useFakes(overrides: Partial<Activities>): void {
  fakes = { ...defaultFakes(), ...overrides };
}

const input = deploymentInput;

/** Runs a deployment to its end with time skipped; its outcome, its timers and the workflow time it took. */
async function deploy(args: DeploymentInput) {
  const handle = await env.client.workflow.start(deployment, { taskQueue, workflowId: args.deploymentId, args: [args] });
  const outcome: DeploymentOutcome = await handle.result();
  const history = await handle.fetchHistory();
  return { outcome, timers: timersOf(history), tookMs: workflowTimeOf(history) };
}

const messages = (step: StatusWrite['step']) => statusLog.filter((write) => write.step === step).map((write) => write.message);
const retryable = (message: string, code: string) => ApplicationFailure.retryable(message, code);

beforeAll(async () => {
  // As the worker registers them: its wrapper ends a step's own failures at its attempts (workflows/step-attempts.ts).
  worker = await FakeActivitiesWorker.start('timers', defaultFakes(), () => fakes);
  ({ env, taskQueue, calls } = worker);
}, 120_000);

afterAll(() => worker?.stop());

beforeEach(() => {
  statusLog = [];
  worker.reset();
  useFakes({});
});

describe('deployment: the CI wait', () => {
  it('ends deploy:ci:timeout when GitHub checks never complete, reading them once per poll interval and last at the deadline', async () => {
    useFakes({
      ciGates: async () => ({
        travis: NOT_GATED,
        github: { gated: true, reason: 'the app requires GitHub checks' },
        timeoutMs: 45 * MINUTE,
        pollMs: 10 * MINUTE,
      }),
      githubChecks: async () => ({ state: 'pending', failing: [], waiting: ['test'] }),
    });
    const run = await deploy(input());
    expect(run.outcome).toEqual({
      state: 'failed',
      error: { code: 'deploy:ci:timeout', message: 'GitHub checks did not complete within 45 min (still waiting for test).' },
    });
    // Four full poll intervals, then the wait cut to what is left of the 45 minutes.
    expect(run.timers.slice(0, 4)).toEqual([10 * MINUTE, 10 * MINUTE, 10 * MINUTE, 10 * MINUTE]);
    expect(run.timers).toHaveLength(5);
    expect(run.timers[4]).toBeLessThanOrEqual(5 * MINUTE);
    expect(run.timers[4]).toBeGreaterThan(4 * MINUTE);
    expect(calls.githubChecks).toBe(6);
    expect(run.tookMs).toBeGreaterThanOrEqual(45 * MINUTE);
    // The unchanged waiting message is logged once, not once per read.
    expect(messages('waiting_for_ci').filter((message) => message === 'Waiting for GitHub checks: test.')).toHaveLength(1);
  });

  it('reads the checks again at once when a ci event arrives, without waiting for the poll interval', async () => {
    let reads = 0;
    let firstRead!: () => void;
    const read = new Promise<void>((resolve) => (firstRead = resolve));
    useFakes({
      ciGates: async () => ({ travis: NOT_GATED, github: { gated: true, reason: 'the app requires GitHub checks' }, pollMs: 10 * MINUTE }),
      githubChecks: async () => {
        if (++reads > 1) return { state: 'success', failing: [], waiting: [] };
        firstRead();
        return { state: 'pending', failing: [], waiting: ['test'] };
      },
    });
    const args = input();
    const handle = await env.client.workflow.start(deployment, { taskQueue, workflowId: args.deploymentId, args: [args] });
    await read; // time is not skipped until the result is awaited: the workflow is in its first wait
    await handle.signal(ciSignal, { event: 'check_run', summary: 'test completed' });
    const outcome = await handle.result();
    const history = await handle.fetchHistory();
    expect(outcome).toEqual({ state: 'succeeded', error: undefined });
    expect(reads).toBe(2);
    // The poll timer was started and canceled by the event, never fired.
    expect(timersOf(history)).toEqual([10 * MINUTE]);
    expect(canceledTimersOf(history)).toBe(1);
    expect(workflowTimeOf(history)).toBeLessThan(10 * MINUTE);
  });

  it('ends deploy:travis:timeout when a Travis-gated commit hears nothing within the CI timeout', async () => {
    useFakes({
      ciGates: async () => ({
        travis: { gated: true, reason: '.travis.yml notifies this service' },
        github: NOT_GATED,
        pollMs: 10 * MINUTE,
      }),
    });
    const run = await deploy(input({ ciTimeoutMs: 30 * MINUTE }));
    expect(run.outcome).toEqual({
      state: 'failed',
      error: { code: 'deploy:travis:timeout', message: 'Travis did not report within 30 min.' },
    });
    expect(run.timers).toEqual([30 * MINUTE]);
    expect(run.tookMs).toBeGreaterThanOrEqual(30 * MINUTE);
    expect(calls.resolvePackage).toBeUndefined();
  });

  it('ends a Travis-first start deploy:travis:timeout when no push of the commit arrives within the CI timeout', async () => {
    const run = await deploy(input({ push: undefined, provider: 'travis', ciTimeoutMs: 20 * MINUTE }));
    expect(run.outcome.state).toBe('canceled');
    expect(run.outcome.error?.code).toBe('deploy:travis:timeout');
    expect(run.outcome.error?.message).toMatch(/no push of this commit to the deploy branch arrived within 20 min\.$/);
    expect(run.timers).toEqual([20 * MINUTE]);
    expect(calls.ciGates).toBeUndefined();
  });
});

describe('deployment: the upload back-off', () => {
  const refused = () => retryable('the receiver answered 503', 'deploy:receiver:upload_tarball');

  it('retries a failed upload after 1, 2 and 4 s, logging each attempt, and succeeds on the fourth', async () => {
    let attempts = 0;
    useFakes({
      uploadPackage: async () => {
        if (++attempts <= 3) throw refused();
        return { remoteId: 'remote-4' };
      },
    });
    const run = await deploy(input());
    expect(run.outcome).toEqual({ state: 'succeeded', error: undefined });
    expect(run.timers).toEqual([1000, 2000, 4000]);
    expect(messages('upload')).toEqual([
      'Uploading to the deployment target.',
      'Attempt 1 failed (the receiver answered 503); retrying in 1 s.',
      'Attempt 2 failed (the receiver answered 503); retrying in 2 s.',
      'Attempt 3 failed (the receiver answered 503); retrying in 4 s.',
      'Target accepted the package as remote-4.',
    ]);
    expect(statusLog.find((write) => write.step === 'upload' && write.status === 'ok')?.attempt).toBe(4);
  });

  it(`gives up deploy:receiver:upload_tarball after ${UPLOAD_ATTEMPTS} attempts, the waits doubling up to 30 s`, async () => {
    useFakes({
      uploadPackage: async () => {
        throw refused();
      },
    });
    const run = await deploy(input());
    expect(run.outcome.state).toBe('failed');
    expect(run.outcome.error?.code).toBe('deploy:receiver:upload_tarball');
    expect(calls.uploadPackage).toBe(UPLOAD_ATTEMPTS);
    expect(run.timers).toEqual([1, 2, 4, 8, 16, 30, 30, 30, 30].map((s) => s * 1000));
  });

  it('does not retry an upload the receiver refused for good', async () => {
    useFakes({
      uploadPackage: async () => {
        throw ApplicationFailure.nonRetryable('the receiver refused the package', 'deploy:receiver:upload_tarball');
      },
    });
    const run = await deploy(input());
    expect(run.outcome.error?.code).toBe('deploy:receiver:upload_tarball');
    expect(calls.uploadPackage).toBe(1);
    expect(run.timers).toEqual([]);
  });
});

describe("deployment: following the receiver's processing", () => {
  const polling = { resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: true, retain: false }) };
  /** The workflow's status poll back-off: 200 ms, growing by half each time, at most 15 s (history keeps whole ms). */
  const backOff = (count: number) => Array.from({ length: count }, (_, i) => Math.floor(Math.min(200 * 1.5 ** i, 15_000)));

  it('polls the status with a growing back-off until the receiver reports SUCCESS', async () => {
    let polls = 0;
    useFakes({ ...polling, pollTarget: async () => ({ state: ++polls > 6 ? 'SUCCESS' : 'PROCESSING', records: [] }) });
    const run = await deploy(input());
    expect(run.outcome).toEqual({ state: 'succeeded', error: undefined });
    expect(polls).toBe(7);
    expect(run.timers).toEqual(backOff(6));
  });

  it('ends deploy:receiver:start_app when the receiver is still processing after an hour, polling at most every 15 s', async () => {
    useFakes({ ...polling, pollTarget: async () => ({ state: 'PROCESSING', records: [] }) });
    const run = await deploy(input());
    expect(run.outcome).toEqual({
      state: 'failed',
      error: { code: 'deploy:receiver:start_app', message: 'The target did not finish processing within an hour.' },
    });
    expect(run.timers.slice(0, 12)).toEqual(backOff(12));
    expect(Math.max(...run.timers)).toBe(15_000);
    expect(run.timers.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(60 * MINUTE - 15_000);
    expect(run.tookMs).toBeGreaterThanOrEqual(60 * MINUTE);
  }, 120_000);

  it('waits 800 ms after each failed status read and ends deploy:receiver:start_app after six in a row', async () => {
    useFakes({
      ...polling,
      pollTarget: async () => {
        throw retryable('the receiver answered 502', 'deploy:receiver:start_app');
      },
    });
    const run = await deploy(input());
    expect(run.outcome.state).toBe('failed');
    expect(run.outcome.error?.code).toBe('deploy:receiver:start_app');
    // Each read is one activity with its own retries (10 attempts, backing off up to 10 s), then the workflow's wait.
    expect(calls.pollTarget).toBe(6 * 10);
    expect(run.timers).toEqual([800, 800, 800, 800, 800]);
    expect(messages('processing').filter((message) => message?.startsWith("Reading the target's status failed"))).toHaveLength(5);
  }, 120_000);
});

describe('line: its timers', () => {
  it('ends after an hour with nothing in it (the next deployment starts it again)', async () => {
    const handle = await env.client.workflow.start(line, {
      taskQueue,
      workflowId: `line/alice/idle-${randomBytes(4).toString('hex')}`,
      args: [{ user: 'alice', app: 'idle' }],
    });
    await handle.result();
    const history = await handle.fetchHistory();
    expect(timersOf(history)).toEqual([60 * MINUTE]);
    expect(calls.readLineHead).toBe(1);
    expect(workflowTimeOf(history)).toBeGreaterThanOrEqual(60 * MINUTE);
  });

  it('drops a running deployment that was terminated (it never says it left) at its 10-minute check, then ends idle', async () => {
    // The deployment at the target: a Travis-first start, parked waiting for its push.
    const parked = input({ push: undefined, provider: 'travis', ciTimeoutMs: 24 * 60 * MINUTE });
    const deploymentHandle = await env.client.workflow.start(deployment, { taskQueue, workflowId: parked.deploymentId, args: [parked] });
    const entry = {
      deploymentId: parked.deploymentId,
      workflowId: parked.deploymentId,
      repository: parked.repository,
      commit: parked.commit,
      explicit: false,
      kind: 'deploy' as const,
    };
    const handle = await env.client.workflow.signalWithStart(line, {
      taskQueue,
      workflowId: `line/alice/probe-${randomBytes(4).toString('hex')}`,
      args: [{ user: 'alice', app: 'probe' }],
      signal: lineEventSignal,
      signalArgs: [{ type: 'arrive', entry }],
    });
    await handle.signal(lineEventSignal, { type: 'ready', deploymentId: parked.deploymentId });
    // Time stands still until a result is awaited: wait (in real time) until the deployment has
    // taken the line's admit. (Terminated with a workflow task still open, it would hold the test
    // server's time-skipping lock for good, and the line's timers would never fire.)
    const admitted = async () => {
      const events = (await deploymentHandle.fetchHistory()).events ?? [];
      return (
        events.some((event) => event.workflowExecutionSignaledEventAttributes != null) &&
        events[events.length - 1]?.workflowTaskCompletedEventAttributes != null
      );
    };
    while (!(await admitted())) await new Promise((resolve) => setTimeout(resolve, 50));
    await deploymentHandle.terminate('an operator terminated it');
    await handle.result();
    const history = await handle.fetchHistory();
    // The check after 10 minutes finds it gone; the empty line then ends after its idle hour.
    expect(timersOf(history).slice(-2)).toEqual([10 * MINUTE, 60 * MINUTE]);
    expect(history.events?.filter((event) => event.signalExternalWorkflowExecutionFailedEventAttributes != null)).toHaveLength(1);
    expect(workflowTimeOf(history)).toBeGreaterThanOrEqual(70 * MINUTE);
  });
});

describe('deployment: its history', () => {
  it('upserts the search attributes only when an entry changes the step or the state', async () => {
    useFakes({
      pollTarget: (() => {
        const answers: TargetStatus['state'][] = ['PENDING', 'PROCESSING', 'SUCCESS'];
        return async (): Promise<TargetStatus> => ({ state: answers.shift() ?? 'SUCCESS', records: [] });
      })(),
      resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: true, retain: false }),
    });
    const args = input();
    const handle = await env.client.workflow.start(deployment, { taskQueue, workflowId: args.deploymentId, args: [args] });
    expect(await handle.result()).toEqual({ state: 'succeeded', error: undefined });
    const upserts = ((await handle.fetchHistory()).events ?? [])
      .map((event) => event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields)
      .filter((fields) => fields?.DeployStep)
      .map((fields) => `${Buffer.from(fields!.DeployStep.data!).toString()} ${Buffer.from(fields!.DeployState.data!).toString()}`);
    // One upsert per step, though `processing` logged several entries and every step a pending and an ok.
    expect(statusLog.filter((write) => write.step === 'processing').length).toBeGreaterThan(2);
    expect(upserts).toEqual([...new Set(upserts)]);
    expect(upserts.length).toBeLessThan(statusLog.length);
  });

  it("leaves the steps' entries to the activities doing the work, and `ready` to the inspection: 15 local activities, the log numbered without gaps", async () => {
    useFakes({ resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: true, retain: false }) });
    const args = input();
    const handle = await env.client.workflow.start(deployment, { taskQueue, workflowId: args.deploymentId, args: [args] });
    expect(await handle.result()).toEqual({ state: 'succeeded', error: undefined });
    const events = (await handle.fetchHistory()).events ?? [];
    const localActivities = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    const activities = events.filter((event) => event.activityTaskScheduledEventAttributes).length;
    const entries = statusLog.map((write) => `${write.seq} ${write.step}:${write.status}`);
    expect(entries).toEqual(
      expect.arrayContaining(
        ['fetch:pending', 'fetch:ok', 'inspect:pending', 'inspect:ok', 'upload:pending', 'upload:ok'].map(
          (entry, i) => `${i + 4} ${entry}`,
        ),
      ),
    );
    expect(statusLog.map((write) => write.seq)).toEqual(statusLog.map((_, i) => i + 1));
    // Before (v0.4.0's shape): 5 activities and 25 local activities, a status write before and after each step's work.
    expect({ activities, localActivities }).toEqual({ activities: 5, localActivities: 15 });
  });
});

describe('deployment: rollback by ACTIVATE (docs/contract.md#activate)', () => {
  const rollback = (overrides: Partial<NonNullable<DeploymentInput['release']>> = {}) =>
    input({
      release: { cause: 'rollback', version: 2, package: { name: 'hello', version: '1.0.0' }, activates: 'dep-v2', ...overrides },
    });
  const polling = { resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: true, retain: true }) };
  const notKept = async (): Promise<TargetStatus> => ({
    state: 'ERROR',
    records: [{ ref: 'dep-v2', state: 'ERROR', message: 'receiver:release_not_kept: shop has no kept release dep-v2' }],
  });
  const uploads: Array<Parameters<Activities['uploadPackage']>[0]> = [];
  beforeEach(() => void uploads.splice(0));
  const recordUploads = async (args: Parameters<Activities['uploadPackage']>[0]) => {
    uploads.push(args);
    return { remoteId: 'remote-upload' };
  };

  it('activates the retained release: no download, no upload', async () => {
    useFakes({ ...polling, uploadPackage: recordUploads });
    const { outcome } = await deploy(rollback());
    expect(outcome).toEqual({ state: 'succeeded' });
    expect([calls.activateRelease, calls.fetchTarball, calls.uploadPackage]).toEqual([1, undefined, undefined]);
    expect(statusLog.map((w) => `${w.step}:${w.status}`)).toEqual(
      expect.arrayContaining(['fetch:ok', 'activating:pending', 'activating:ok', 'processing:ok', 'done:ok']),
    );
  });

  it('uploads the tarball, fetched again, under its own _doc when the receiver answers receiver:release_not_kept', async () => {
    let polls = 0;
    useFakes({
      ...polling,
      uploadPackage: recordUploads,
      pollTarget: async () => (++polls === 1 ? notKept() : { state: 'SUCCESS', records: [] }),
    });
    const args = rollback();
    expect((await deploy(args)).outcome).toEqual({ state: 'succeeded' });
    expect([calls.fetchTarball, calls.inspectTarball]).toEqual([1, 1]);
    expect(uploads).toEqual([
      expect.objectContaining({ blobId: 'blob-1', packageDoc: `${args.deploymentId}-upload`, operation: 'DEPLOY' }),
    ]);
    expect(messages('activating').at(-1)).toMatch(
      /^The target cannot activate release v2 \(receiver:release_not_kept: .*\); its tarball is uploaded instead\.$/,
    );
  });

  it('uploads the kept tarball when the receiver refuses the operation', async () => {
    useFakes({
      ...polling,
      uploadPackage: recordUploads,
      activateRelease: async () => ({ refused: 'the receiver refused the ACTIVATE with HTTP 400' }),
    });
    expect((await deploy(rollback({ blobId: 'kept-blob' }))).outcome).toEqual({ state: 'succeeded' });
    expect(calls.fetchTarball).toBeUndefined();
    expect(uploads).toEqual([expect.objectContaining({ blobId: 'kept-blob' })]);
    expect(messages('activating').at(-1)).toContain('refused the ACTIVATE with HTTP 400');
  });

  it('fails on any other ERROR, uploading nothing', async () => {
    useFakes({
      ...polling,
      uploadPackage: recordUploads,
      pollTarget: async () => ({ state: 'ERROR', records: [{ ref: 'dep-v2', state: 'ERROR', message: 'hook failed' }] }),
    });
    const { outcome } = await deploy(rollback());
    expect(outcome).toMatchObject({ state: 'failed', error: { code: 'deploy:receiver:start_app' } });
    expect(uploads).toEqual([]);
  });

  it('uploads without trying ACTIVATE where the target has no statusUrl to report a missing release', async () => {
    useFakes({ uploadPackage: recordUploads });
    expect((await deploy(rollback())).outcome).toEqual({ state: 'succeeded' });
    expect(calls.activateRelease).toBeUndefined();
    expect(uploads).toEqual([expect.not.objectContaining({ packageDoc: expect.anything() })]);
    expect(messages('activating')).toEqual([
      'The target cannot activate release v2 (the target has no statusUrl to report whether it keeps the release); its tarball is uploaded instead.',
    ]);
  });
});
