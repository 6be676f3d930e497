import { DEFAULT_TASK_QUEUE, lineWorkflowId } from './workflow-ids';

describe('lineWorkflowId', () => {
  it('keeps the id lines had before on the default task queue, so running lines are met after an upgrade', () => {
    expect(DEFAULT_TASK_QUEUE).toBe('deployments');
    expect(lineWorkflowId('alice', 'shop', 'deployments')).toBe('line/alice/shop');
  });

  it("names any other task queue, so two installations on one namespace never share an app's line", () => {
    expect(lineWorkflowId('alice', 'shop', 'staging')).toBe('line/staging/alice/shop');
    const ids = new Set(['deployments', 'staging', 'eu'].map((queue) => lineWorkflowId('alice', 'shop', queue)));
    expect(ids.size).toBe(3);
  });
});
