import type { DeploymentInput } from '../../workflows/types';
import { DeploymentStarter } from './deployment-starter';
import type { DeploymentWorkflowsClient } from './deployment-workflows.client';
import type { DeploymentRecord, DeploymentsRepository } from './deployments.repository';
import { deploymentId } from './workflow-ids';

/** The starter against an in-memory record store and a client that notes each start. */
function starter() {
  const records = new Map<string, DeploymentRecord>();
  const starts: Array<{ type: 'deployment' | 'undeployment'; workflowId: string; input: DeploymentInput; signal: unknown }> = [];
  const deployments = {
    insertOrGet: async (record: DeploymentRecord) => {
      const existing = records.get(record._id);
      if (existing) return { record: existing, created: false };
      records.set(record._id, record);
      return { record, created: true };
    },
  } as unknown as DeploymentsRepository;
  const workflows = {
    signalWithStart: async (workflowId: string, input: DeploymentInput, signal: unknown) => {
      starts.push({ type: 'deployment', workflowId, input, signal });
      return 'running' as const;
    },
    startUndeployment: async (workflowId: string, input: DeploymentInput) => {
      starts.push({ type: 'undeployment', workflowId, input, signal: { push: input.push } });
      return 'running' as const;
    },
  } as unknown as DeploymentWorkflowsClient;
  return { subject: new DeploymentStarter(deployments, workflows, { ciTimeoutMs: 60_000 }), starts };
}

const deployment = {
  workflowId: 'deployment/alice/alice/hello/abc123',
  user: 'alice',
  repository: 'alice/hello',
  commit: 'abc123',
  provider: 'github' as const,
  uuid: 'u-1',
};

describe('DeploymentStarter', () => {
  it('records a deployment once under the id its workflow id gives, received and running unless told otherwise', async () => {
    const { subject } = starter();
    const first = await subject.record('push', { ...deployment, branch: 'main', payloadId: 'p-1' });
    expect(first.created).toBe(true);
    expect(first.record).toMatchObject({ _id: deploymentId(deployment.workflowId), state: 'running', step: 'received', payloadId: 'p-1' });
    expect(first.record.createdAt).toBeInstanceOf(Date);
    const again = await subject.record('push', { ...deployment, uuid: 'u-2' });
    expect(again).toEqual({ record: first.record, created: false });
    const travis = await subject.record('travis', {
      ...deployment,
      workflowId: 'deployment/alice/alice/hello/def456',
      state: 'waiting_for_ci',
      step: 'waiting_for_ci',
    });
    expect(travis.record).toMatchObject({ state: 'waiting_for_ci', step: 'waiting_for_ci' });
  });

  it("starts a push with its signal, and a retry (or Travis after the push) with the record's push", async () => {
    const { subject, starts } = starter();
    const { record } = await subject.record('push', { ...deployment, branch: 'main', payloadId: 'p-1', app: 'hello' });
    const push = { payloadId: 'p-1', branch: 'main', app: 'hello', before: '000', receivedAt: '2026-01-01T00:00:00.000Z' };
    await subject.start(record, { push });
    await subject.start(record);
    expect(starts[0]).toMatchObject({
      type: 'deployment',
      input: { deploymentId: record._id, ciTimeoutMs: 60_000, push },
      signal: { push },
    });
    const recorded = { payloadId: 'p-1', branch: 'main', app: 'hello' };
    expect(starts[1]).toMatchObject({ input: { push: recorded }, signal: { push: recorded } });
  });

  it("signals Travis' verdict instead of a push, and a deployment recorded without its push starts without one", async () => {
    const { subject, starts } = starter();
    const { record } = await subject.record('travis', {
      ...deployment,
      provider: 'travis',
      state: 'waiting_for_ci',
      step: 'waiting_for_ci',
    });
    const travis = { passed: true, statusMessage: 'Passed', payloadId: 'travis:1' };
    await subject.start(record, { travis });
    expect(starts[0].signal).toEqual({ travis });
    expect(starts[0].input.push).toBeUndefined();
  });

  it('starts an explicit action with the release it deploys, and an undeployment as its own workflow type', async () => {
    const { subject, starts } = starter();
    const push = { payloadId: 'rollback', branch: 'main', app: 'hello' };
    const release = { cause: 'rollback' as const, version: 3, package: { name: 'hello', version: '1.0.0' } };
    const { record } = await subject.record('rollback', {
      ...deployment,
      workflowId: 'release/alice/hello/rollback/u-1',
      cause: 'rollback',
    });
    await subject.start(record, { push, release });
    expect(starts[0]).toMatchObject({ type: 'deployment', input: { push, release }, signal: { push } });

    const undeploy = { undeploys: 'dep_1', removeApp: true, appVersion: { createdAt: 1, revision: 2 } };
    const gone = await subject.record('undeploy', { ...deployment, workflowId: 'undeploy/alice/hello/1.2/dep_1/remove' });
    await subject.start(gone.record, { push: { ...push, payloadId: 'undeploy' }, undeploy });
    expect(starts[1]).toMatchObject({
      type: 'undeployment',
      workflowId: 'undeploy/alice/hello/1.2/dep_1/remove',
      input: { operation: 'UNDEPLOY', ...undeploy, push: { payloadId: 'undeploy' } },
    });
  });
});
