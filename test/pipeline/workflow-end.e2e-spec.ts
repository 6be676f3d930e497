import { INestApplicationContext } from '@nestjs/common';
import { createWorkerApp } from '../../apps/worker/create-worker';
import { appLogDestination } from '../support/app-logs';
import { PipelineFixture, sleep, waitFor } from './pipeline-fixture';

type Step = { step: string; status: string; message?: string; error?: { code: string; message: string } };

/**
 * docs/reliability.md#tenant-isolation-review: a deployment whose workflow an operator ends in
 * Temporal (`temporal workflow terminate`, a delete) never writes its end. The worker's sweep
 * closes its record `deploy:terminated` and ends its status log within a few seconds here
 * (WORKFLOW_SWEEP_INTERVAL / WORKFLOW_SWEEP_GRACE set low), and frees the app's release line.
 * Two workers sweep, so the close races itself.
 */
describe('deployments whose workflow was ended in Temporal, outside deploy-webhooks', () => {
  let f: PipelineFixture;
  let secondWorker: INestApplicationContext;
  beforeAll(async () => {
    f = await PipelineFixture.start({ WORKFLOW_SWEEP_INTERVAL: '100ms', WORKFLOW_SWEEP_GRACE: '1s' });
    secondWorker = await createWorkerApp(f.harness.config, {}, { logDestination: appLogDestination() });
  });
  afterAll(async () => {
    await secondWorker?.close();
    await f.stop();
  });
  afterEach(() => {
    f.hooks.execute = undefined;
  });

  const record = (id: string) => f.harness.db.collection('deployments').findOne({ _id: id } as object);
  const stateOf = async (id: string) => (await record(id))?.state as string | undefined;
  const timeline = async (id: string) => ((await f.steps(id)) as Step[]).map((s) => `${s.step}:${s.status}`);
  const entryNumbers = async (id: string) =>
    (await f.harness.db.collection('status_entries').find({ deployment: id }).sort({ _id: 1 }).toArray()).map((e) =>
      Number(String(e._id).split(':').pop()),
    );
  /** A deployment of a commit whose .travis.yml asks for Travis, which never reports: it waits for CI (TRAVIS_WAIT_TIMEOUT, 1 h). */
  const waitingForCi = async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    expect(pushed.status).toBe(202);
    await waitFor(async () => (await stateOf(pushed.json.id)) === 'waiting_for_ci');
    return pushed.json as { id: string; workflowId: string };
  };

  it('closes a deployment terminated while it waits for CI: deploy:terminated on the record, done last in the log; a retry may run it again', async () => {
    const waiting = await waitingForCi();
    // Unmoved for longer than the grace, with sweeps every 100 ms: a workflow that still runs is left alone.
    await sleep(2_500);
    expect(await stateOf(waiting.id)).toBe('waiting_for_ci');

    await f.harness.temporal.workflow.getHandle(waiting.workflowId).terminate('an operator ended it with the Temporal CLI');
    await waitFor(async () => (await stateOf(waiting.id)) !== 'waiting_for_ci', 15_000);

    expect(await record(waiting.id)).toMatchObject({
      state: 'failed',
      step: 'done',
      endedAt: expect.any(Date),
      error: { code: 'deploy:terminated', message: expect.stringMatching(/terminated in Temporal.*TERMINATED/) },
    });
    expect(await timeline(waiting.id)).toEqual(['received:ok', 'waiting_for_ci:pending', 'waiting_for_ci:error', 'done:error']);
    const steps = (await f.steps(waiting.id)) as Step[];
    expect(steps.at(-1)).toMatchObject({
      error: { code: 'deploy:terminated', message: expect.stringContaining('outside deploy-webhooks') },
    });
    expect(await entryNumbers(waiting.id)).toEqual([1, 2, 3, 4]); // two sweepers, each entry once

    const view = await f.harness.request('GET', `/1/deployments/${waiting.id}`);
    expect(view.json.state).toMatchObject({ state: 'failed', step: 'done', error: { code: 'deploy:terminated' } });
    const retried = await f.harness.request('POST', `/1/deployments/${waiting.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ retryOf: waiting.id, existing: false });
    expect((await f.harness.request('POST', `/1/deployments/${retried.json.id}/cancel`)).status).toBe(202);
  });

  it('closes a deployment whose workflow was deleted from Temporal, saying Temporal no longer has it', async () => {
    const waiting = await waitingForCi();
    await f.deleteWorkflow(waiting.workflowId);
    await waitFor(async () => (await stateOf(waiting.id)) === 'failed', 15_000);
    expect((await record(waiting.id))?.error).toEqual({
      code: 'deploy:terminated',
      message: expect.stringContaining('no longer exists in Temporal'),
    });
    expect((await timeline(waiting.id)).slice(-2)).toEqual(['waiting_for_ci:error', 'done:error']);
  });

  it("frees the app's release line at once when the deployment at the target is terminated: the next push deploys", async () => {
    const app = `line-${Date.now().toString(36)}`;
    await f.configure(app);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    f.hooks.execute = () => held; // the first package stays processing at the receiver
    const first = await f.labelledCommit(app, 'first');
    const atTarget = await f.push(app, first.sha);
    await waitFor(async () => ['upload', 'processing'].includes((await record(atTarget.json.id))?.step));

    await f.harness.temporal.workflow.getHandle(atTarget.json.workflowId).terminate('an operator ended it mid-upload');
    release();
    const second = await f.labelledCommit(app, 'second', first.sha);
    const next = await f.push(app, second.sha, { before: first.sha });
    // Without the sweep's word the line finds the terminated one gone only at its 10-minute check.
    expect(await f.outcome(next.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.liveLabel(app)).toBe('// second\n');
    expect(await record(atTarget.json.id)).toMatchObject({ state: 'failed', error: { code: 'deploy:terminated' } });
    expect((await timeline(atTarget.json.id)).at(-1)).toBe('done:error');
  }, 60_000);
});
