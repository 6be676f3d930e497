import { WorkflowNotFoundError } from '@temporalio/client';
import { PipelineFixture } from './pipeline-fixture';

/** The record in MongoDB (docs/contract.md#the-record-in-mongodb): MongoDB is the record; nothing depends on Temporal keeping a closed workflow. */
describe('deployment records in MongoDB', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
  });
  afterAll(() => f.stop());

  it('moves the record with every step: state, step, attempt, timings', async () => {
    const { repo, sha } = await f.commit();
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const record = await f.harness.db.collection('deployments').findOne({ _id: pushed.json.id } as object);
    expect(record).toMatchObject({ state: 'succeeded', step: 'done', attempt: 1, app: repo, endedAt: expect.any(Date) });
    expect(Object.keys(record!.timings)).toEqual(
      expect.arrayContaining(['received', 'resolve', 'fetch', 'inspect', 'upload', 'processing', 'done']),
    );
    expect(record!.timings.upload.endedAt.getTime()).toBeGreaterThanOrEqual(record!.timings.upload.startedAt.getTime());

    const listed = await f.harness.request('GET', `/1/users/admin/deployments?app=${repo}`);
    expect(listed.json).toEqual([
      expect.objectContaining({ id: pushed.json.id, state: expect.objectContaining({ state: 'succeeded', step: 'done' }) }),
    ]);
  });

  it('answers a redelivery from the record after the workflow is deleted from Temporal, and starts nothing', async () => {
    const { repo, sha } = await f.commit();
    const pushed = await f.push(repo, sha, { delivery: 'first-delivery' });
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await f.deleteWorkflow(pushed.json.workflowId);
    const handle = f.harness.temporal.workflow.getHandle(pushed.json.workflowId);

    const redelivered = await f.push(repo, sha, { delivery: 'redelivered-later' });
    expect(redelivered.status).toBe(202);
    expect(redelivered.json).toMatchObject({ id: pushed.json.id, existing: true, status: 'finished' });
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError); // nothing started again

    const view = await f.harness.request('GET', `/1/deployments/${pushed.json.id}`);
    expect(view.status).toBe(200);
    expect(view.json.workflowStatus).toBeUndefined();
    expect(view.json.state).toMatchObject({ state: 'succeeded', step: 'done', app: repo });
    expect(view.json.steps.map((s: { step: string }) => s.step)).toContain('done');
    expect((await f.harness.request('POST', `/1/deployments/${pushed.json.id}/retry`)).json.error).toBe('deployments:not_retryable');
    expect((await f.harness.request('POST', `/1/deployments/${pushed.json.id}/cancel`)).json.error).toBe('deployments:not_cancelable');
  });
});
