import { deploymentWorkflowId } from '../../libs/deployments';
import { Harness } from '../support/harness';
import { githubHeaders, githubPush } from '../support/payloads';

describe('first slice: GitHub push → stored payload → deployment workflow → status log', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start();
  });
  afterAll(() => harness.stop());

  it('accepts a push, runs the workflow on the real Temporal server and logs its steps', async () => {
    const push = githubPush();
    const response = await harness.request('POST', '/1/deploy', { headers: githubHeaders(), body: push });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-api-uuid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-api-version')).toBe('1.0.0');
    expect(response.json).toMatchObject({ status: 'queued', uuid: response.headers.get('x-api-uuid') });
    const workflowId = deploymentWorkflowId('admin', 'octo-org/hello-world', push.after);
    expect(response.json.workflowId).toBe(workflowId);

    const outcome = await harness.temporal.workflow.getHandle(workflowId).result();
    expect(outcome).toMatchObject({ state: 'succeeded' });
    const payload = await harness.db.collection('payloads').findOne({ deployment: response.json.id });
    expect(JSON.parse(payload!.body).after).toBe(push.after);

    const status = await harness.request('GET', '/1/status/admin/webhooks');
    expect(status.status).toBe(200);
    const steps = status.json.map((entry: { step: string }) => entry.step);
    expect(steps).toContain('received');
    expect(status.json[0]).toMatchObject({ user: 'admin', deployment: response.json.id, provider: 'github', commit: `octo-org/hello-world/${push.after}` });
  });

  it('answers errors in the spec shape', async () => {
    const noAuth = await harness.request('POST', '/1/deploy', { auth: null, body: githubPush() });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json).toEqual({ error: 'deploy:auth:bad_creds', message: expect.any(String), uuid: noAuth.headers.get('x-api-uuid') });
    const empty = await harness.request('POST', '/1/deploy', { headers: { 'content-type': 'application/json' }, body: '' });
    expect(empty.json.error).toBe('deploy:no_payload');
    const health = await harness.request('GET', '/health', { auth: null });
    expect(health.json).toEqual({ status: 'ok', checks: { mongo: 'ok', temporal: 'ok' } });
  });
});
