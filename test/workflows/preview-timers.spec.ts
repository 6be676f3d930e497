import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import type { PreviewActivitiesApi } from '../../workflows/activities';
import { approvePreviewHeadUpdate, preview, previewEventSignal, previewStateQuery } from '../../workflows/preview.workflow';
import type { PreviewEvent, PreviewHead, PreviewInput } from '../../workflows/types';
import { FakeActivitiesWorker } from '../support/fake-activities';
import { timersOf } from '../support/time-skipping';

/**
 * The preview workflow's timers on Temporal's time-skipping test server (docs/contract.md#preview-apps):
 * the TTL without a push, the reconciliation with GitHub, the teardown's attempts. The activities
 * are fakes; test/previews runs the real ones. Timers are read from each run's history.
 */
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let worker: FakeActivitiesWorker;
let env: TestWorkflowEnvironment;
let taskQueue: string;
let fakes: PreviewActivitiesApi;

function defaultFakes(): PreviewActivitiesApi {
  return {
    deployPreviewHead: async ({ head }) => ({ deploymentId: `dep-${head.sha.slice(0, 6)}` }),
    markPreview: async () => undefined,
    previewDeployment: async () => ({ ended: true, state: 'succeeded' }),
    pullRequestState: async () => 'open',
    startPreviewTeardown: async ({ attempt }) => ({ deploymentId: `undeploy-${attempt}` }),
    previewRemoved: async () => undefined,
    notifyPreviewReady: async () => undefined,
  };
}

const called = (name: keyof PreviewActivitiesApi) =>
  worker.inputs.filter((call) => call.name === name).map((call) => call.input as Record<string, unknown>);

function head(overrides: Partial<PreviewHead> = {}): PreviewHead {
  const sha = randomBytes(20).toString('hex');
  return {
    sha,
    ref: 'feature',
    headRepository: 'alice/hello',
    fork: false,
    receivedAt: new Date().toISOString(),
    payloadId: `payload-${sha}`,
    uuid: `uuid-${sha}`,
    action: 'opened',
    ...overrides,
  };
}

function input(overrides: Partial<PreviewInput> = {}): PreviewInput {
  return { user: 'alice', app: 'hello', pr: 7, repository: 'alice/hello', ttlMs: 7 * DAY, forks: 'approve', ...overrides };
}

async function start(args: PreviewInput, first: PreviewEvent) {
  return env.client.workflow.signalWithStart(preview, {
    taskQueue,
    workflowId: `preview-test-${randomBytes(6).toString('hex')}`,
    args: [args],
    signal: previewEventSignal,
    signalArgs: [first],
  });
}

beforeAll(async () => {
  worker = await FakeActivitiesWorker.start('previews', defaultFakes(), () => fakes, false);
  ({ env, taskQueue } = worker);
}, 120_000);

afterAll(() => worker?.stop());

beforeEach(() => {
  worker.reset();
  fakes = defaultFakes();
});

describe('preview: the TTL without a push', () => {
  it('tears the preview down once its TTL has passed since the last push; a push starts the TTL afresh', async () => {
    const handle = await start(input({ reconcileMs: 365 * DAY }), { type: 'head', head: head() });
    await env.sleep(6 * DAY);
    await handle.signal(previewEventSignal, { type: 'head', head: head({ action: 'synchronize' }) });
    expect(await handle.result()).toEqual({ removed: 'ttl' });
    const timers = timersOf(await handle.fetchHistory());
    // The first head's TTL (less the ready poll's seconds), then, after the push, a whole TTL again (not what was left of the first).
    expect(timers.filter((timer) => timer > 7 * DAY - MINUTE && timer <= 7 * DAY)).toHaveLength(2);
    expect(called('deployPreviewHead')).toHaveLength(2);
    expect(called('startPreviewTeardown')).toEqual([expect.objectContaining({ attempt: 1, because: 'ttl' })]);
    expect(called('previewRemoved')).toEqual([expect.objectContaining({ because: 'ttl', deploymentId: 'undeploy-1' })]);
    expect(called('previewRemoved')[0].failed).toBeUndefined();
    expect(called('notifyPreviewReady')).toHaveLength(2);
  });
});

describe('preview: the reconciliation with GitHub', () => {
  it('asks GitHub every 15 minutes and tears the preview down when it finds the pull request closed', async () => {
    let reads = 0;
    fakes.pullRequestState = async () => (++reads >= 3 ? 'closed' : 'open');
    const handle = await start(input(), { type: 'head', head: head() });
    expect(await handle.result()).toEqual({ removed: 'reconciled' });
    expect(reads).toBe(3);
    const timers = timersOf(await handle.fetchHistory());
    expect(timers.filter((timer) => timer === 15 * MINUTE)).toHaveLength(2); // the two after the first (which the ready poll shortened)
    expect(called('startPreviewTeardown')).toEqual([expect.objectContaining({ because: 'reconciled' })]);
  });

  it('keeps the preview while GitHub does not answer', async () => {
    let reads = 0;
    fakes.pullRequestState = async () => (++reads >= 4 ? 'closed' : 'unknown');
    const handle = await start(input(), { type: 'head', head: head() });
    expect(await handle.result()).toEqual({ removed: 'reconciled' });
    expect(reads).toBe(4);
  });
});

describe('preview: closed', () => {
  it('a pull request closed while its preview deploys is torn down once; events after it change nothing', async () => {
    fakes.previewDeployment = async ({ deploymentId }) =>
      deploymentId.startsWith('undeploy') ? { ended: true, state: 'succeeded' } : { ended: false, state: 'running' };
    const handle = await start(input(), { type: 'head', head: head() });
    await handle.signal(previewEventSignal, { type: 'closed', merged: true, receivedAt: new Date().toISOString() });
    await handle.signal(previewEventSignal, { type: 'head', head: head({ action: 'reopened' }) }).catch(() => undefined);
    expect(await handle.result()).toEqual({ removed: 'closed' });
    expect(called('deployPreviewHead')).toHaveLength(1);
    expect(called('startPreviewTeardown')).toHaveLength(1);
    expect(called('previewRemoved')).toHaveLength(1);
    expect(called('notifyPreviewReady')).toHaveLength(0);
  });

  it('asks a failed UNDEPLOY again, after a pause, as a new attempt', async () => {
    fakes.previewDeployment = async ({ deploymentId }) =>
      deploymentId === 'undeploy-1' ? { ended: true, state: 'failed' } : { ended: true, state: 'succeeded' };
    const handle = await start(input(), { type: 'head', head: head() });
    await handle.signal(previewEventSignal, { type: 'closed', merged: false, receivedAt: new Date().toISOString() });
    expect(await handle.result()).toEqual({ removed: 'closed' });
    expect(called('startPreviewTeardown').map((call) => call.attempt)).toEqual([1, 2]);
    expect(timersOf(await handle.fetchHistory())).toContain(10 * MINUTE);
    expect(called('previewRemoved')).toEqual([expect.objectContaining({ deploymentId: 'undeploy-2' })]);
    expect(called('previewRemoved')[0].failed).toBeUndefined();
  });
});

describe('preview: forks', () => {
  it("a fork's head waits for an approval and deploys nothing meanwhile", async () => {
    const forked = head({ fork: true, headRepository: 'mallory/hello' });
    const handle = await start(input(), { type: 'head', head: forked });
    await env.sleep(MINUTE);
    const state = await handle.query(previewStateQuery);
    expect(state.awaiting?.sha).toBe(forked.sha);
    expect(called('deployPreviewHead')).toHaveLength(0);
    expect(called('markPreview')).toEqual([
      expect.objectContaining({ state: 'awaiting_approval', sha: forked.sha, reason: expect.stringMatching(/waits for an approval/) }),
    ]);
    await handle.signal(previewEventSignal, { type: 'closed', merged: false, receivedAt: new Date().toISOString() });
    expect(await handle.result()).toEqual({ removed: 'closed' });
  });

  it('deploys the waiting head once it is approved; an approval of another head is refused by the validator', async () => {
    const forked = head({ fork: true, headRepository: 'mallory/hello' });
    const handle = await start(input(), { type: 'head', head: forked });
    await env.sleep(MINUTE);
    await expect(handle.executeUpdate(approvePreviewHeadUpdate, { args: [{ sha: 'f'.repeat(40), by: 'bob' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/does not wait for an approval/) },
    });
    expect(await handle.executeUpdate(approvePreviewHeadUpdate, { args: [{ sha: forked.sha, by: 'bob' }] })).toEqual({
      deploys: forked.sha,
    });
    await env.sleep(MINUTE);
    expect(called('deployPreviewHead')).toEqual([expect.objectContaining({ head: expect.objectContaining({ sha: forked.sha }) })]);
    expect((await handle.query(previewStateQuery)).awaiting).toBeUndefined();
    await expect(handle.executeUpdate(approvePreviewHeadUpdate, { args: [{ sha: forked.sha, by: 'bob' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/No head of this preview waits/) },
    });
    await handle.signal(previewEventSignal, { type: 'closed', merged: false, receivedAt: new Date().toISOString() });
    expect(await handle.result()).toEqual({ removed: 'closed' });
  });
});

describe('preview: continue-as-new', () => {
  it('hands the newest head and the TTL on to the next run', async () => {
    const handle = await start(input({ eventsPerRun: 2, reconcileMs: 365 * DAY }), { type: 'head', head: head() });
    for (let i = 0; i < 3; i++) await handle.signal(previewEventSignal, { type: 'head', head: head({ action: 'synchronize' }) });
    await env.sleep(MINUTE);
    const before = await handle.query(previewStateQuery);
    expect(before.current?.ready).toBe(true);
    const description = await handle.describe();
    expect(description.runId).not.toBe(handle.signaledRunId);
    await handle.signal(previewEventSignal, { type: 'closed', merged: true, receivedAt: new Date().toISOString() });
    expect(await handle.result()).toEqual({ removed: 'closed' });
    // Each head once (a local activity may run again when a signal arrives as a run ends: the same deployment, by its id).
    expect(new Set(called('deployPreviewHead').map((call) => (call.head as { sha: string }).sha)).size).toBe(4);
  });
});
