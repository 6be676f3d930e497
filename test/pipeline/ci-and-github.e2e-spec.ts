import { travisBuild } from '../support/payloads';
import { PipelineFixture } from './pipeline-fixture';

/**
 * The CI gate's edges (a short TRAVIS_WAIT_TIMEOUT), GitHub commit statuses, and the status
 * log's promise that every step is logged as it starts and as it ends.
 */
describe('deployment pipeline: Travis timeouts, commit statuses, step ends', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start({ TRAVIS_WAIT_TIMEOUT: '3s' });
    f.github.tokens.set('ghp_statuses', 'admin-gh');
    const authorized = await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_statuses' } });
    expect(authorized.status).toBe(200);
  });
  afterAll(() => f.stop());

  const travis = (repo: string, sha: string, extra: Record<string, unknown> = {}) =>
    f.harness.request('POST', '/1/deploy', {
      headers: { 'travis-repo-slug': `octo-org/${repo}` },
      body: { ...travisBuild({ repo, sha, statusMessage: 'Passed' }), ...extra },
    });
  const timeline = async (id: string) => (await f.steps(id)).map((s) => `${s.step}:${s.status}`);
  const statusesOf = (sha: string) =>
    f.github.statuses.filter((s) => s.sha === sha).map((s) => ({ state: s.state, target_url: s.target_url, token: s.token }));

  it('marks the commit pending at start and success at the end, linking the deployment; every step ends ok', async () => {
    const { repo, sha } = await f.commit();
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const link = expect.stringMatching(new RegExp(`/1/deployments/${pushed.json.id}$`));
    expect(statusesOf(sha)).toEqual([
      { state: 'pending', target_url: link, token: 'ghp_statuses' },
      { state: 'success', target_url: link, token: 'ghp_statuses' },
    ]);
    const steps = await timeline(pushed.json.id);
    for (const step of ['received', 'resolve', 'fetch', 'inspect', 'upload', 'processing', 'done']) expect(steps).toContain(`${step}:ok`);
    expect(steps.indexOf('processing:ok')).toBe(steps.length - 2); // processing ends, then the deployment does
  });

  it('ends the failing step with its own error entry, then done; the commit is marked failure', async () => {
    const { repo, sha } = await f.commit({ files: { 'package.json': 'not json' } });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:github:no_pkg_json' } });
    expect((await timeline(pushed.json.id)).slice(-3)).toEqual(['resolve:pending', 'resolve:error', 'done:error']);
    expect((await f.steps(pushed.json.id)).at(-2)).toMatchObject({ step: 'resolve', error: { code: 'deploy:github:no_pkg_json' } });
    expect(statusesOf(sha).map((s) => s.state)).toEqual(['pending', 'failure']);
  });

  it('ends with deploy:travis:timeout when .travis.yml asks for Travis and Travis never reports', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({
      state: 'failed',
      error: { code: 'deploy:travis:timeout', message: expect.stringContaining('3 s') },
    });
    expect(await timeline(pushed.json.id)).toEqual(['received:ok', 'waiting_for_ci:pending', 'waiting_for_ci:error', 'done:error']);
    expect(statusesOf(sha).map((s) => s.state)).toEqual(['pending', 'failure']); // pending while waiting for CI
  });

  it('logs deploy:travis:timeout when Travis reported first and no push followed', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const reported = await travis(repo, sha);
    expect(reported.json).toMatchObject({ status: 'waiting_for_ci', existing: false });
    expect(await f.outcome(reported.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:travis:timeout' } });
    const steps = await f.steps(reported.json.id);
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual(['waiting_for_ci:error', 'done:error']);
    expect(steps[0]).toMatchObject({
      error: { code: 'deploy:travis:timeout', message: expect.stringMatching(/Travis reported \(Passed\), but no push/) },
    });
  });

  it("delivers the app's environment variables inside the deployment package", async () => {
    const { repo, sha } = await f.commit();
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, {
      body: { repository: `octo-org/${repo}`, env: { API_KEY: 's3cret', DATABASE_URL: 'pg://u:p@h/db' } },
    });
    expect(put.status).toBe(200);
    let delivered: Record<string, string> | undefined;
    f.hooks.execute = async (pkg) => void (delivered = pkg.env);
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    f.hooks.execute = undefined;
    expect(delivered).toEqual({ API_KEY: 's3cret', DATABASE_URL: 'pg://u:p@h/db' });
  });

  it("never deploys a commit Travis reported failed first, gated or not; a restarted build's later Passed counts", async () => {
    const failed = { status_message: 'Failed', result_message: 'Failed' };
    const ungated = await f.commit(); // no .travis.yml: nothing asked for CI
    await travis(ungated.repo, ungated.sha, failed);
    const pushed = await f.push(ungated.repo, ungated.sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:travis:failed' } });

    const restarted = await f.commit({ travis: true });
    await travis(restarted.repo, restarted.sha, failed);
    await travis(restarted.repo, restarted.sha); // Passed
    const deployed = await f.push(restarted.repo, restarted.sha);
    expect(await f.outcome(deployed.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('ignores Travis pull-request builds and builds of branches that do not deploy: no deployment starts', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    expect(
      (await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, branch: 'main' } })).status,
    ).toBe(200);
    const pullRequest = await travis(repo, sha, { pull_request: true, type: 'pull_request', branch: 'main' });
    expect(pullRequest).toMatchObject({ status: 200, json: { status: 'ignored', reason: expect.stringMatching(/Pull request builds/) } });
    const otherBranch = await travis(repo, sha, { branch: 'feature-x' });
    expect(otherBranch).toMatchObject({
      status: 200,
      json: { status: 'ignored', reason: expect.stringMatching(/feature-x.*deploy branch main/) },
    });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(0);
  });
});
