import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ADMIN } from '../support/harness';
import { githubHeaders, githubPush, travisBuild } from '../support/payloads';
import { checkRunEvent, checkSuiteEvent, statusEvent } from '../../tools/github-standin/github-standin-ci';
import { PipelineFixture } from './pipeline-fixture';
import { gate } from '../support/gate';

const WORKFLOW = {
  '.github/workflows/ci.yml': 'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n',
};
type Step = { step: string; status: string; message?: string; error?: { code: string; message: string } };

/** Shared by both fixtures: commits with Actions workflows, CI events delivered as GitHub would. */
function ciHelpers(get: () => PipelineFixture) {
  const f = () => get();
  return {
    /** A commit with an Actions workflow and GitHub's queued suite with one run per name. */
    async actionsCommit(options: { runs?: string[]; travis?: boolean; files?: Record<string, string> } = {}) {
      const { repo, sha } = await f().commit({ travis: options.travis, files: { ...WORKFLOW, ...options.files } });
      const suite = f().github.ci.addSuite(`octo-org/${repo}`, sha, { runs: (options.runs ?? ['test']).map((name) => ({ name })) });
      return { repo, sha, suite };
    },
    event(kind: 'check_suite' | 'check_run' | 'status', payload: object) {
      return f().harness.request('POST', '/1/deploy', { headers: githubHeaders(kind), body: payload });
    },
    steps: (id: string) => f().steps(id) as Promise<Step[]>,
    /** Until the deployment's log shows it waiting for GitHub checks (the gate has read them at least once). */
    async waitingForChecks(id: string): Promise<Step[]> {
      for (;;) {
        const steps = (await f().steps(id)) as Step[] | undefined;
        if (
          steps?.some((s) => s.step === 'waiting_for_ci' && s.status === 'pending' && /^Waiting for GitHub checks: /.test(s.message ?? ''))
        )
          return steps;
        if (steps?.some((s) => s.step === 'done'))
          throw new Error(`deployment ${id} ended instead of waiting for GitHub checks: ${JSON.stringify(steps.slice(-2))}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/**
 * CI gates (docs/contract.md#ci-gates) with events: a 10-minute poll interval, so what moves a deployment here is a
 * check_suite / check_run / status delivery (or the gate's first read), never a poll.
 */
describe('GitHub checks gate: woken by check_suite, check_run and status events', () => {
  let f: PipelineFixture;
  const h = ciHelpers(() => f);
  beforeAll(async () => {
    f = await PipelineFixture.start({ CI_POLL_INTERVAL: '10m', CI_QUEUED_GRACE: '5m' });
    // A personal token: commit statuses and GitHub deployments need one (or the App).
    f.github.tokens.set('ghp_checks', 'admin-gh');
    expect((await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_checks' } })).status).toBe(200);
  });
  afterAll(() => f.stop());

  it("the seed's curl -d @file command deploys (curl itself, form-typed JSON)", async () => {
    const { repo, sha } = await f.commit();
    const dir = await mkdtemp(join(tmpdir(), 'curl-'));
    try {
      await writeFile(join(dir, 'push.json'), JSON.stringify(githubPush({ repo, sha })));
      const { stdout } = await promisify(execFile)('curl', [
        '-sS',
        '-X',
        'POST',
        '-u',
        `${ADMIN.username}:${ADMIN.password}`,
        '-d',
        `@${join(dir, 'push.json')}`,
        `${f.harness.baseUrl}/1/deploy`,
      ]);
      const answer = JSON.parse(stdout);
      expect(answer).toMatchObject({ status: 'queued', existing: false });
      expect(await f.outcome(answer.workflowId)).toEqual({ state: 'succeeded' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('waits for a commit with an Actions workflow; check_suite completed success deploys it', async () => {
    const { repo, sha, suite } = await h.actionsCommit();
    const pushed = await f.push(repo, sha);
    expect(pushed.status).toBe(202);
    const waiting = await h.waitingForChecks(pushed.json.id);
    expect(waiting.find((s) => s.step === 'waiting_for_ci')?.message).toBe(
      'GitHub checks gate this deployment: the commit has GitHub Actions workflows (ci.yml).',
    );
    expect(waiting.at(-1)?.message).toBe('Waiting for GitHub checks: test.');
    expect((await f.harness.request('GET', `/1/deployments/${pushed.json.id}`)).json).toMatchObject({
      state: { state: 'waiting_for_ci', ci: { gated: true, reason: expect.stringContaining('GitHub Actions') } },
    });

    f.github.ci.completeSuite(suite, 'success');
    const woken = await h.event('check_suite', checkSuiteEvent(suite));
    expect(woken).toMatchObject({ status: 202, json: { id: pushed.json.id, status: 'waiting_for_ci', existing: true } });
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect((await h.steps(pushed.json.id)).map((s) => `${s.step}:${s.status}`)).toContain('waiting_for_ci:ok');
  });

  it('one failing check run ends the deployment deploy:ci:failed, naming the check and its URL', async () => {
    const { repo, sha, suite } = await h.actionsCommit({ runs: ['test', 'lint'] });
    const pushed = await f.push(repo, sha);
    await h.waitingForChecks(pushed.json.id);
    const lint = suite.runs.find((r) => r.name === 'lint')!;
    Object.assign(lint, { status: 'completed', conclusion: 'failure' });
    expect((await h.event('check_run', checkRunEvent(suite, lint))).status).toBe(202);
    const outcome = await f.outcome(pushed.json.workflowId);
    expect(outcome).toMatchObject({ state: 'failed', error: { code: 'deploy:ci:failed' } });
    expect(outcome.error!.message).toContain(`lint (failure, ${lint.html_url})`);
    expect((await h.steps(pushed.json.id)).map((s) => s.step)).not.toContain('upload');
  });

  it('waits for commit status contexts too: a status event with success deploys', async () => {
    const { repo, sha } = await f.commit({ files: WORKFLOW });
    const context = { context: 'ci/circleci', state: 'pending', target_url: 'https://circleci.example/1' };
    f.github.statuses.push({ repository: `octo-org/${repo}`, sha, ...context });
    const pushed = await f.push(repo, sha);
    const waiting = await h.waitingForChecks(pushed.json.id);
    expect(waiting.at(-1)?.message).toContain('ci/circleci');
    f.github.statuses.push({ repository: `octo-org/${repo}`, sha, ...context, state: 'success' });
    expect((await h.event('status', statusEvent(`octo-org/${repo}`, sha, { ...context, state: 'success' }))).status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('does not let an empty suite still queued past CI_QUEUED_GRACE hold the deployment', async () => {
    const { repo, sha, suite } = await h.actionsCommit();
    f.github.ci.completeSuite(suite, 'success');
    // An installed app's suite GitHub created and nothing ever ran (here: created 6 min ago, the grace is 5).
    f.github.ci.addSuite(`octo-org/${repo}`, sha, {
      app: { id: 9, slug: 'idle-app', name: 'Idle App' },
      createdAt: new Date(Date.now() - 6 * 60_000).toISOString(),
    });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('needs both Travis and GitHub checks when a commit has both: Travis Passed alone does not deploy', async () => {
    const { repo, sha, suite } = await h.actionsCommit({ travis: true });
    const pushed = await f.push(repo, sha);
    const travis = await f.harness.request('POST', '/1/deploy', {
      headers: { 'travis-repo-slug': `octo-org/${repo}` },
      body: travisBuild({ repo, sha, statusMessage: 'Passed' }),
    });
    expect(travis.status).toBe(202);
    const steps = await h.waitingForChecks(pushed.json.id); // Travis passed, and it still waits
    expect(steps.map((s) => `${s.step}:${s.status}:${s.message}`)).toContainEqual(
      expect.stringMatching(/^waiting_for_ci:ok:Travis build Passed/),
    );
    f.github.ci.completeSuite(suite, 'success');
    await h.event('check_suite', checkSuiteEvent(suite));
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('answers CI events for commits no deployment waits on 200 ignored', async () => {
    const { repo, sha, suite } = await h.actionsCommit();
    f.github.ci.completeSuite(suite, 'success');
    const answer = await h.event('check_suite', checkSuiteEvent(suite));
    expect(answer).toMatchObject({ status: 200, json: { status: 'ignored', reason: expect.stringContaining(sha.slice(0, 7)) } });
    const status = await h.event('status', statusEvent(`octo-org/${repo}`, sha, { state: 'success', context: 'ci/x' }));
    expect(status).toMatchObject({ status: 200, json: { status: 'ignored' } });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(0);
  });

  it("ends deploy:ci:timeout after the app's ciTimeout", async () => {
    const { repo, sha } = await h.actionsCommit();
    expect(
      (await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, ci: 'github', ciTimeout: '2s' } }))
        .status,
    ).toBe(200);
    const pushed = await f.push(repo, sha);
    expect(pushed.json.status).toBe('waiting_for_ci');
    const outcome = await f.outcome(pushed.json.workflowId);
    expect(outcome).toMatchObject({ state: 'failed', error: { code: 'deploy:ci:timeout', message: expect.stringContaining('test') } });
  });
});

/** GitHub deployments (docs/contract.md#github-deployments): each deployment is a GitHub deployment, its statuses posted as it goes. */
describe('GitHub Deployments', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
    f.github.tokens.set('ghp_deployments', 'admin-gh');
    expect((await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_deployments' } })).status).toBe(200);
  });
  afterAll(() => f.stop());
  afterEach(() => {
    f.github.failDeployments = false;
  });

  const deploymentsOf = (repo: string) => f.github.ci.deployments.filter((d) => d.repository === `octo-org/${repo}`);

  it("records queued, in_progress, success in order, in the app's environment, linking the status page and the app's url", async () => {
    const { repo, sha } = await f.commit();
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, {
      body: { repository: `octo-org/${repo}`, environment: 'staging', url: 'https://staging.example.com' },
    });
    expect(put.status).toBe(200);
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const [deployment, ...more] = deploymentsOf(repo);
    expect(more).toEqual([]);
    expect(deployment).toMatchObject({ sha, ref: sha, environment: 'staging', token: 'ghp_deployments' });
    expect(deployment.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'success']);
    for (const status of deployment.statuses) {
      expect(status).toMatchObject({
        log_url: expect.stringMatching(new RegExp(`/status-page#deployment-${pushed.json.id}$`)),
        environment_url: 'https://staging.example.com',
        token: 'ghp_deployments',
      });
    }
  });

  it("names the environment after the app when it sets none; the target's failure is the deployment status failure", async () => {
    const { repo, sha } = await f.commit();
    f.hooks.execute = async () => {
      throw new Error('the app would not start');
    };
    try {
      const pushed = await f.push(repo, sha);
      expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:receiver:start_app' } });
    } finally {
      f.hooks.execute = undefined;
    }
    const [deployment] = deploymentsOf(repo);
    expect(deployment.environment).toBe(repo);
    expect(deployment.statuses.map((s) => s.state)).toEqual(['queued', 'in_progress', 'failure']);
  });

  it("marks a deployment superseded in the app's line inactive, after queued; the newest one goes queued, in_progress, success", async () => {
    const { repo, sha: first } = await f.commit();
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    const { sha: second } = await f.commit({ repo, parent: first });
    const { sha: third } = await f.commit({ repo, parent: second });
    // The first stays at the target while the second waits behind it and the third arrives.
    const { held, open: release } = gate();
    let atTarget = false;
    f.hooks.execute = async (pkg) => {
      if (pkg.commit !== first) return;
      atTarget = true;
      await held;
    };
    const until = async (check: () => Promise<boolean> | boolean) => {
      while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
    };
    try {
      const pushes = [(await f.push(repo, first)).json];
      await until(() => atTarget);
      pushes.push((await f.push(repo, second, { before: first })).json);
      await until(async () => (await f.steps(pushes[1].id)).some((s) => s.step === 'queued'));
      pushes.push((await f.push(repo, third, { before: second })).json);
      await until(async () => (await f.steps(pushes[2].id)).some((s) => s.step === 'queued' || s.step === 'done'));
      release();
      const outcomes = await Promise.all(pushes.map((p) => f.outcome(p.workflowId)));
      expect(outcomes.map((o) => o.error?.code ?? o.state)).toEqual(['succeeded', 'deploy:superseded', 'succeeded']);
    } finally {
      f.hooks.execute = undefined;
      release();
    }
    const statesOf = (sha: string) =>
      deploymentsOf(repo)
        .find((d) => d.sha === sha)
        ?.statuses.map((s) => s.state);
    expect(statesOf(first)).toEqual(['queued', 'in_progress', 'success']);
    expect(statesOf(second)).toEqual(['queued', 'inactive']);
    expect(statesOf(third)).toEqual(['queued', 'in_progress', 'success']);
  });

  it('deploys all the same when GitHub refuses to create the deployment', async () => {
    const { repo, sha } = await f.commit();
    f.github.failDeployments = true;
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(deploymentsOf(repo)).toEqual([]);
    expect(f.github.requests.some((r) => r.method === 'POST' && r.url === `/repos/octo-org/${repo}/deployments`)).toBe(true);
  });
});

/** CI gates (docs/contract.md#ci-gates) without events: lost deliveries are covered by polling on durable timers. */
describe('GitHub checks gate: the polling fallback', () => {
  let f: PipelineFixture;
  const h = ciHelpers(() => f);
  beforeAll(async () => {
    f = await PipelineFixture.start({ CI_POLL_INTERVAL: '1s' });
  });
  afterAll(() => f.stop());

  it('deploys once the suite completed although no event was delivered', async () => {
    const { repo, sha, suite } = await h.actionsCommit();
    const pushed = await f.push(repo, sha);
    await h.waitingForChecks(pushed.json.id);
    f.github.ci.completeSuite(suite, 'success');
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    // Read again on its timer: the first read saw the suite queued, a later one completed.
    expect(
      f.github.requests.filter((r) => r.url.startsWith(`/repos/octo-org/${repo}/commits/${sha}/check-suites`)).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
