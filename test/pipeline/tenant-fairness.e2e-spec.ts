import { temporal } from '@temporalio/proto';
import { lineWorkflowId } from '../../libs/deployments';
import { PipelineFixture } from './pipeline-fixture';

/**
 * Fairness between users on the shared task queue (docs/reliability.md#tenant-isolation-review): every
 * deployment carries its user as the fairness key, and the worker sets the server's per-user
 * activity rate on the deployments' queue. Asserts the settings on the real Temporal server, not times.
 */
describe('fairness between users on the deployments task queue', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start({ TENANT_ACTIVITIES_PER_SECOND: '7' });
  });
  afterAll(() => f.stop());

  it('starts each deployment and its release line with its user as fairness key (its tasks inherit it)', async () => {
    const { repo, sha } = await f.commit();
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const handle = f.harness.temporal.workflow.getHandle(pushed.json.workflowId);
    expect((await handle.describe()).raw.workflowExecutionInfo?.priority?.fairnessKey).toBe('admin');
    const line = f.harness.temporal.workflow.getHandle(lineWorkflowId('admin', repo, f.harness.config.temporal.taskQueue));
    expect((await line.describe()).raw.workflowExecutionInfo?.priority?.fairnessKey).toBe('admin');
  });

  it("has the server dispatch at most TENANT_ACTIVITIES_PER_SECOND of one user's activities a second", async () => {
    const described = await f.harness.temporal.connection.workflowService.describeTaskQueue({
      namespace: f.harness.config.temporal.namespace,
      taskQueue: { name: f.harness.config.temporal.taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportConfig: true,
    });
    expect(described.config?.fairnessKeysRateLimitDefault?.rateLimit?.requestsPerSecond).toBe(7);
  });
});
