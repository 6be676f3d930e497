import { gate } from '../support/gate';
import { PipelineFixture, waitFor } from './pipeline-fixture';

/**
 * Two installations on one Temporal namespace, each with its own task queue and database (every
 * test harness has both), and the same user and app name: each app's release line orders only its
 * own installation's deployments (libs/deployments/workflow-ids.ts, lineWorkflowId).
 */
describe('release lines of two installations sharing a namespace', () => {
  let a: PipelineFixture;
  let b: PipelineFixture;
  beforeAll(async () => {
    a = await PipelineFixture.start();
    b = await PipelineFixture.start();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it("keep apart: a deployment held at one installation's target does not hold the same app's deployment at the other", async () => {
    const app = 'shared-name';
    expect(a.harness.config.temporal.taskQueue).not.toBe(b.harness.config.temporal.taskQueue);
    expect(a.harness.config.temporal.namespace).toBe(b.harness.config.temporal.namespace);
    await a.configure(app);
    await b.configure(app);
    const { held, open: release } = gate();
    let atTargetA = false;
    a.hooks.execute = async (pkg) => {
      if (pkg.app.name !== app) return;
      atTargetA = true;
      await held;
    };
    try {
      const first = await a.commit({ repo: app });
      const holding = await a.push(app, first.sha);
      await waitFor(async () => atTargetA);
      const second = await b.commit({ repo: app });
      const other = await b.push(app, second.sha);
      expect(await b.outcome(other.json.workflowId)).toEqual({ state: 'succeeded' }); // not queued behind a's
      release();
      expect(await a.outcome(holding.json.workflowId)).toEqual({ state: 'succeeded' });
    } finally {
      release();
      a.hooks.execute = undefined;
    }
  });
});
