import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hostileTarball } from '../support/archives';
import { githubPush, travisBuild } from '../support/payloads';
import { PipelineFixture } from './pipeline-fixture';

const ORDERED_STEPS = ['received', 'resolve', 'resolve', 'fetch', 'fetch', 'inspect', 'inspect', 'upload', 'upload', 'processing'];

describe('deployment pipeline: GitHub push → workflow → reference receiver', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
  });
  afterAll(() => f.stop());

  it('deploys a push end to end and logs every step once, in order', async () => {
    const { repo, sha } = await f.commit({ files: { 'lib/util.js': 'module.exports = 1;\n' } });
    const response = await f.push(repo, sha);
    expect(response.status).toBe(202);
    expect(response.json).toMatchObject({ status: 'queued', existing: false });

    expect(await f.outcome(response.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await readFile(join(f.deployDir, repo, 'lib/util.js'), 'utf8')).toBe('module.exports = 1;\n');

    const steps = await f.steps(response.json.id);
    const names = steps.map((s) => s.step);
    expect(names.slice(0, ORDERED_STEPS.length)).toEqual(ORDERED_STEPS);
    expect(names[names.length - 1]).toBe('done');
    expect(steps[steps.length - 1]).toMatchObject({ status: 'ok' });
    expect(steps.filter((s) => s.step === 'processing').map((s) => (s as { message?: string }).message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/SUCCESS/)]),
    );

    const view = await f.harness.request('GET', `/1/deployments/${response.json.id}`);
    expect(view.json).toMatchObject({ workflowStatus: 'COMPLETED', state: { step: 'done', state: 'succeeded', app: repo } });
    expect(view.json.temporalUi).toContain(encodeURIComponent(response.json.workflowId));
    const app = await f.harness.db.collection('apps').countDocuments();
    expect(app).toBe(0); // the default target served an app without configuration
  });

  it('never creates a second deployment for a redelivery or the same commit again', async () => {
    const { repo, sha } = await f.commit();
    const first = await f.push(repo, sha, { delivery: 'delivery-1' });
    const redelivered = await f.push(repo, sha, { delivery: 'delivery-1' });
    const samePushAgain = await f.push(repo, sha, { delivery: 'delivery-2' });
    expect(redelivered.json).toMatchObject({ id: first.json.id, existing: true });
    expect(samePushAgain.json).toMatchObject({ id: first.json.id, existing: true });
    await f.outcome(first.json.workflowId);
    const afterwards = await f.push(repo, sha, { delivery: 'delivery-3' });
    // Ended already: the answer says so instead of "queued", and how to deploy it again.
    expect(afterwards.json).toMatchObject({
      id: first.json.id,
      existing: true,
      status: 'finished',
      reason: expect.stringContaining(`/1/deployments/${first.json.id}/retry`),
    });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(1);
    const listed = await f.harness.request('GET', `/1/users/admin/deployments?app=${repo}&limit=5`);
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([expect.objectContaining({ id: first.json.id, commit: sha, app: repo })]);
    expect((await f.harness.request('GET', '/1/users/admin/deployments?limit=0')).json.error).toBe('request:invalid');
    const steps = await f.steps(first.json.id);
    expect(steps.filter((s) => s.step === 'received')).toHaveLength(1);
  });

  it('ignores tag pushes, branch deletions, other branches and non-push events; answers ping', async () => {
    const { repo, sha } = await f.commit();
    const tag = await f.push(repo, sha, { ref: 'refs/tags/v1.0.0' });
    expect(tag.status).toBe(200);
    expect(tag.json).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/tag/) });
    const other = await f.push(repo, sha, { ref: 'refs/heads/feature' });
    expect(other.json).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/feature/) });
    const deleted = await f.harness.request('POST', '/1/deploy', {
      headers: { 'x-github-event': 'push' },
      body: githubPush({ repo, sha: '0'.repeat(40), deleted: true }),
    });
    expect(deleted.json.status).toBe('ignored');
    const ping = await f.harness.request('POST', '/1/deploy', {
      headers: { 'x-github-event': 'ping' },
      body: { zen: 'Keep it logically awesome.', hook_id: 1 },
    });
    expect(ping.status).toBe(200);
    const issues = await f.harness.request('POST', '/1/deploy', { headers: { 'x-github-event': 'issues' }, body: { action: 'opened' } });
    expect(issues.json.status).toBe('ignored');
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(0);
  });

  it('accepts form-encoded payloads as GitHub sends them', async () => {
    const { repo, sha } = await f.commit();
    const body = new URLSearchParams({ payload: JSON.stringify(githubPush({ repo, sha })) }).toString();
    const response = await f.push(repo, sha, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(response.status).toBe(202);
    expect(await f.outcome(response.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('waits for Travis when .travis.yml has a webhook, and deploys when it passes', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    await waitFor(async () => (await f.steps(pushed.json.id)).some((s) => s.step === 'waiting_for_ci'));
    const travis = await f.harness.request('POST', '/1/deploy', {
      headers: { 'travis-repo-slug': `octo-org/${repo}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payload: JSON.stringify(travisBuild({ repo, sha, statusMessage: 'Passed' })) }).toString(),
    });
    expect(travis.status).toBe(202);
    expect(travis.json.id).toBe(pushed.json.id);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('does not deploy when Travis fails', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    await f.harness.request('POST', '/1/deploy', {
      headers: { 'travis-repo-slug': `octo-org/${repo}` },
      body: travisBuild({ repo, sha, statusMessage: 'Broken' }),
    });
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:travis:failed' } });
  });

  it('keeps a Travis result that arrives before the push (signal-with-start)', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const travis = await f.harness.request('POST', '/1/deploy', {
      headers: { 'travis-repo-slug': `octo-org/${repo}` },
      body: travisBuild({ repo, sha, statusMessage: 'Fixed' }),
    });
    expect(travis.json).toMatchObject({ status: 'waiting_for_ci' });
    const pushed = await f.push(repo, sha);
    expect(pushed.json).toMatchObject({ id: travis.json.id, existing: true });
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(1);
  });

  it('rejects an unsafe tarball with deploy:tar:<reason> and uploads nothing', async () => {
    const { repo, sha } = await f.commit({ tarball: await hostileTarball('dot_dot') });
    const pushed = await f.push(repo, sha);
    const outcome = await f.outcome(pushed.json.workflowId);
    expect(outcome).toMatchObject({ state: 'failed', error: { code: 'deploy:tar:unsafe_path' } });
    const steps = await f.steps(pushed.json.id);
    expect(steps.map((s) => s.step)).not.toContain('upload');
    expect(steps[steps.length - 1]).toMatchObject({ step: 'done', status: 'error', error: { code: 'deploy:tar:unsafe_path' } });
  });

  it('reports deploy:github:no_pkg_json for a private repository without a token', async () => {
    const { repo, sha } = await f.commit({ private: true });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:github:no_pkg_json' } });
  });

  it("reports the receiver's ERROR as deploy:receiver:start_app with its message, then retries on request", async () => {
    const { repo, sha } = await f.commit();
    f.hooks.execute = async () => {
      throw new Error('npm install failed');
    };
    const pushed = await f.push(repo, sha);
    const outcome = await f.outcome(pushed.json.workflowId);
    f.hooks.execute = undefined;
    expect(outcome).toMatchObject({
      state: 'failed',
      error: { code: 'deploy:receiver:start_app', message: expect.stringContaining('npm install failed') },
    });

    const retry = await f.harness.request('POST', `/1/deployments/${pushed.json.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.json).toMatchObject({ retryOf: pushed.json.id, status: 'queued' });
    expect(retry.json.id).not.toBe(pushed.json.id);
    expect(await f.outcome(retry.json.workflowId)).toEqual({ state: 'succeeded' });
    const again = await f.harness.request('POST', `/1/deployments/${retry.json.id}/retry`);
    expect(again.json).toMatchObject({ error: 'deployments:not_retryable' });
  });

  it('cancels a deployment waiting for CI', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    await waitFor(async () => (await f.steps(pushed.json.id)).some((s) => s.step === 'waiting_for_ci'));
    const cancel = await f.harness.request('POST', `/1/deployments/${pushed.json.id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:canceled' } });
  });

  it('supersedes an older deployment of the branch that has not uploaded yet', async () => {
    const { repo, sha: older } = await f.commit({ travis: true });
    // A configured app: its release line knows the deployment from the start, CI wait included.
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    const first = await f.push(repo, older);
    await waitFor(async () => (await f.steps(first.json.id)).some((s) => s.step === 'waiting_for_ci'));
    const { sha: newer } = await f.commit({ repo });
    const second = await f.push(repo, newer);
    expect(await f.outcome(first.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:superseded' } });
    expect(await f.outcome(second.json.workflowId)).toEqual({ state: 'succeeded' });
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('UNDEPLOY', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    // The apps here name the receiver as their own target: no shared default target (no app may name that one).
    f = await PipelineFixture.start({ DEFAULT_TARGET_URL: '', DEFAULT_TARGET_STATUS_URL: '' });
  });
  afterAll(() => f.stop());

  it("removes the app's deployed files at the target, and DELETE removes the app too", async () => {
    const { repo, sha } = await f.commit({ repo: 'removable' });
    const put = await f.harness.request('PUT', '/1/apps/admin/removable', {
      body: { repository: `octo-org/${repo}`, target: { url: `${f.receiverUrl}/push`, statusUrl: `${f.receiverUrl}/status/{{id}}` } },
    });
    expect(put.status).toBe(200);
    const pushed = await f.push(repo, sha);
    // An operator can filter on the app from the start (the push named a configured app), not only after resolve.
    const handle = f.harness.temporal.workflow.getHandle(pushed.json.workflowId);
    expect((await handle.describe()).searchAttributes).toMatchObject({
      DeployApp: ['removable'],
      DeployUser: ['admin'],
      DeployCommit: [sha],
    });
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect((await handle.describe()).searchAttributes).toMatchObject({ DeployStep: ['done'], DeployState: ['succeeded'] });
    expect((await f.harness.request('GET', '/1/apps/admin/removable')).json.lastDeployment).toBe(pushed.json.id);
    await expect(readFile(join(f.deployDir, 'removable', 'index.js'), 'utf8')).resolves.toContain('hi');

    const undeploy = await f.harness.request('POST', '/1/apps/admin/removable/undeploy');
    expect(undeploy.status).toBe(202);
    expect(await f.outcome(undeploy.json.workflowId)).toEqual({ state: 'succeeded' });
    await expect(readFile(join(f.deployDir, 'removable', 'index.js'), 'utf8')).rejects.toThrow();
    expect((await f.harness.request('GET', '/1/apps/admin/removable')).status).toBe(200);

    const removed = await f.harness.request('DELETE', '/1/apps/admin/removable');
    expect(removed.status).toBe(202);
    expect(await f.outcome(removed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect((await f.harness.request('GET', '/1/apps/admin/removable')).json.error).toBe('apps:not_found');
    expect((await f.harness.request('DELETE', '/1/apps/admin/removable')).json.error).toBe('apps:not_found');
  });

  it('undeploys again after a failed undeployment, and names a finished one instead of repeating it', async () => {
    const { repo, sha } = await f.commit({ repo: 'flaky-target' });
    const target = (path: string) => ({ url: `${f.receiverUrl}${path}`, statusUrl: `${f.receiverUrl}/status/{{id}}` });
    const configure = (path: string) =>
      f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, target: target(path) } });
    expect((await configure('/push')).status).toBe(200);
    expect(await f.outcome((await f.push(repo, sha)).json.workflowId)).toEqual({ state: 'succeeded' });

    expect((await configure('/no-such-endpoint')).status).toBe(200); // the target answers 404: not retryable
    const failed = await f.harness.request('POST', `/1/apps/admin/${repo}/undeploy`);
    expect(await f.outcome(failed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:receiver:upload_tarball' } });
    expect((await f.harness.request('POST', `/1/deployments/${failed.json.id}/retry`)).json).toMatchObject({
      error: 'deployments:not_retryable',
      message: expect.stringContaining('/undeploy'),
    });

    // Asked again, unchanged: another attempt of the same request.
    const retried = await f.harness.request('POST', `/1/apps/admin/${repo}/undeploy`);
    expect(retried.json).toMatchObject({ status: 'queued', workflowId: `${failed.json.workflowId}/again-1` });
    expect(await f.outcome(retried.json.workflowId)).toMatchObject({ state: 'failed' });

    // The app changed (its target fixed): asked afresh, and it succeeds.
    expect((await configure('/push')).status).toBe(200);
    const again = await f.harness.request('POST', `/1/apps/admin/${repo}/undeploy`);
    expect(again.json).toMatchObject({ status: 'queued' });
    expect(again.json.workflowId).not.toContain('again');
    expect(await f.outcome(again.json.workflowId)).toEqual({ state: 'succeeded' });
    await expect(readFile(join(f.deployDir, repo, 'index.js'), 'utf8')).rejects.toThrow();
    const done = await f.harness.request('POST', `/1/apps/admin/${repo}/undeploy`);
    expect(done.json).toMatchObject({ status: 'finished', id: again.json.id });
  });
});
