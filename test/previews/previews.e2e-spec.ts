import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { PipelineFixture, sleep, waitFor } from '../pipeline/pipeline-fixture';
import { checkSuiteEvent } from '../../tools/github-standin/github-standin-ci';
import { githubHeaders } from '../support/payloads';

/**
 * Preview apps of pull requests on the real stack (docs/contract.md#preview-apps): the GitHub
 * stand-in's pull requests and their `pull_request` events, the gateway's intake, the preview
 * workflow on the Temporal dev server, the reference receiver as the default target.
 */
describe('preview apps', () => {
  let f: PipelineFixture;
  /** UNDEPLOY packages the receiver ran, by app. */
  const undeploys: Record<string, number> = {};
  let held: { app: string; entered: () => void; release: Promise<void> } | undefined;

  beforeAll(async () => {
    f = await PipelineFixture.start({ PREVIEWS_RECONCILE_INTERVAL: '2s' });
    f.hooks.execute = async (pkg) => {
      if (pkg.operation === 'UNDEPLOY') undeploys[pkg.app.name] = (undeploys[pkg.app.name] ?? 0) + 1;
      if (pkg.operation === 'DEPLOY' && held?.app === pkg.app.name) {
        held.entered();
        await held.release;
      }
    };
  }, 180_000);
  afterAll(() => f.stop());

  const deliver = (payload: object) =>
    f.harness.request('POST', '/1/deploy', { headers: githubHeaders('pull_request'), body: payload as Record<string, unknown> });
  const list = async (app: string) => (await f.harness.request('GET', `/1/apps/admin/${app}/previews`)).json as Array<Record<string, any>>;
  const previewOf = async (app: string, pr: number) => (await list(app)).find((p) => p.pr === pr);
  const configure = async (previews: Record<string, unknown> = {}, app: Record<string, unknown> = {}) => {
    const repo = `app-${randomBytes(3).toString('hex')}`;
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, {
      body: { repository: `octo-org/${repo}`, previews: { enabled: true, ...previews }, ...app },
    });
    expect(put.status).toBe(200);
    return repo;
  };
  const live = (app: string) => readFile(join(f.deployDir, app, 'index.js'), 'utf8');

  it('open → the preview is live at its own path; synchronize → the new head is; closed → one UNDEPLOY and the preview app is gone', async () => {
    const repo = await configure({ env: { STAGE: 'preview' } });
    const name = `${repo}-pr-1`;
    const opened = await f.github.openPullRequest(`octo-org/${repo}`);
    const answer = await deliver(opened);
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ status: 'queued', previews: [{ app: repo, preview: name, pr: 1, status: 'queued' }] });
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'live', 90_000);
    expect(await live(name)).toContain(opened.pull_request.head.sha.slice(0, 7));
    const app = await f.harness.request('GET', `/1/apps/admin/${name}`);
    expect(app.json).toMatchObject({ name, previewOf: { app: repo, pr: 1 }, environment: name, envKeys: ['STAGE'] });

    const synchronized = await f.github.pushToPullRequest(`octo-org/${repo}`, 1);
    expect((await deliver(synchronized)).status).toBe(202);
    await waitFor(async () => {
      const seen = await previewOf(repo, 1);
      return seen?.state === 'live' && seen.head.sha === synchronized.pull_request.head.sha;
    }, 90_000);
    expect(await live(name)).toContain(synchronized.pull_request.head.sha.slice(0, 7));

    const closed = await deliver(f.github.closePullRequest(`octo-org/${repo}`, 1, true));
    expect(closed.json).toMatchObject({ status: 'tearing_down' });
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'removed', 90_000);
    expect(undeploys[name]).toBe(1);
    expect((await f.harness.request('GET', `/1/apps/admin/${name}`)).status).toBe(404);
    expect(existsSync(join(f.deployDir, name))).toBe(false);
    expect(await previewOf(repo, 1)).toMatchObject({ removedBecause: 'closed', reason: expect.stringMatching(/closed/) });

    // Late events of that pull request change nothing, and say why.
    const late = await deliver(synchronized);
    expect(late.status).toBe(200);
    expect(late.json).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/torn down/) });
    await sleep(1_000);
    expect((await f.harness.request('GET', `/1/apps/admin/${name}`)).status).toBe(404);
  }, 240_000);

  it("a check_suite event wakes the preview's deployment that waits for GitHub checks", async () => {
    const repo = await configure({}, { ci: 'github' });
    const opened = await f.github.openPullRequest(`octo-org/${repo}`);
    const suite = f.github.ci.addSuite(`octo-org/${repo}`, opened.pull_request.head.sha, { runs: [{ name: 'test' }] });
    expect((await deliver(opened)).status).toBe(202);
    const deployment = async () => (await previewOf(repo, 1))?.head?.deployment as string | undefined;
    await waitFor(async () => {
      const id = await deployment();
      return id !== undefined && (await f.harness.request('GET', `/1/deployments/${id}`)).json.state?.step === 'waiting_for_ci';
    }, 60_000);
    f.github.ci.completeSuite(suite, 'success');
    const woken = await f.harness.request('POST', '/1/deploy', {
      headers: githubHeaders('check_suite'),
      body: checkSuiteEvent(suite) as unknown as Record<string, unknown>,
    });
    expect(woken.status).toBe(202);
    expect(woken.json).toMatchObject({ id: await deployment(), status: 'waiting_for_ci' });
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'live', 90_000);
  }, 240_000);

  it('a closed event never delivered: the reconciliation with GitHub tears the preview down', async () => {
    const repo = await configure();
    const name = `${repo}-pr-1`;
    await deliver(await f.github.openPullRequest(`octo-org/${repo}`));
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'live', 90_000);
    const open = async () =>
      ((await (await fetch(`${f.github.url}/repos/octo-org/${repo}/pulls?state=open`)).json()) as Array<{ number: number }>).map(
        (p) => p.number,
      );
    expect(await open()).toEqual([1]);
    f.github.pulls.close(`octo-org/${repo}`, 1); // closed on GitHub; its event is lost
    expect(await open()).toEqual([]);
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'removed', 90_000);
    expect(await previewOf(repo, 1)).toMatchObject({ removedBecause: 'reconciled' });
    expect(undeploys[name]).toBe(1);
    expect((await f.harness.request('GET', `/1/apps/admin/${name}`)).status).toBe(404);
  }, 240_000);

  it('a pull request closed while its preview deploys: one teardown, never re-created', async () => {
    const repo = await configure();
    const name = `${repo}-pr-1`;
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    held = { app: name, entered, release: new Promise<void>((resolve) => (release = resolve)) };
    await deliver(await f.github.openPullRequest(`octo-org/${repo}`));
    await inside; // the receiver is deploying the preview
    const closed = await deliver(f.github.closePullRequest(`octo-org/${repo}`, 1));
    expect(closed.json).toMatchObject({ status: 'tearing_down' });
    release();
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'removed', 90_000);
    await sleep(3_000);
    expect(undeploys[name]).toBe(1);
    expect((await f.harness.request('GET', `/1/apps/admin/${name}`)).status).toBe(404);
    expect(existsSync(join(f.deployDir, name))).toBe(false);
    held = undefined;
  }, 240_000);

  it("a fork's pull request waits for an approval (forks: approve), or gets no preview (forks: never)", async () => {
    const repo = await configure();
    const opened = await f.github.openPullRequest(`octo-org/${repo}`, { fork: `mallory/${repo}` });
    const answer = await deliver(opened);
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ status: 'awaiting_approval', reason: expect.stringMatching(/waits for an approval/) });
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'awaiting_approval');
    expect(await previewOf(repo, 1)).toMatchObject({
      fork: true,
      headRepository: `mallory/${repo}`,
      reason: expect.stringMatching(/mallory/),
    });
    await sleep(2_000);
    expect(existsSync(join(f.deployDir, `${repo}-pr-1`))).toBe(false);

    const never = await configure({ forks: 'never' });
    const ignored = await deliver(await f.github.openPullRequest(`octo-org/${never}`, { fork: `mallory/${never}` }));
    expect(ignored.status).toBe(200);
    expect(ignored.json).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/forks is never/) });
    expect(await list(never)).toEqual([]);
  }, 120_000);

  it('the preview past previews.max is refused with apps:previews:limit; repositories without previews ignore pull requests', async () => {
    const repo = await configure({ max: 1 });
    expect((await deliver(await f.github.openPullRequest(`octo-org/${repo}`))).status).toBe(202);
    const refused = await deliver(await f.github.openPullRequest(`octo-org/${repo}`));
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: 'apps:previews:limit', message: expect.stringMatching(/previews\.max \(1\)/) });

    const plain = `app-${randomBytes(3).toString('hex')}`;
    await f.configure(plain);
    const ignored = await deliver(await f.github.openPullRequest(`octo-org/${plain}`));
    expect(ignored.status).toBe(200);
    expect(ignored.json).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/no app .* has previews enabled/i) });
  }, 120_000);

  it("a fork's head waiting is approved by a reviewer of the app and deploys; others are refused; each push waits again", async () => {
    const repo = await configure();
    const name = `${repo}-pr-1`;
    const [bob, carol, dave] = ['bob', 'carol', 'dave'].map((user) => ({ username: `${user}-${repo}`, password: `${user}-password-1` }));
    for (const user of [bob, carol, dave]) expect((await f.harness.request('POST', '/1/users', { body: user })).status).toBe(201);
    for (const [user, role] of [
      [bob, 'approver'],
      [carol, 'viewer'],
    ] as const)
      expect((await f.harness.request('PUT', `/1/apps/admin/${repo}/collaborators/${user.username}`, { body: { role } })).status).toBe(200);
    const approve = (auth: { username: string; password: string }, body: object = {}, pr = 1) =>
      f.harness.request('POST', `/1/apps/admin/${repo}/previews/${pr}/approve`, { auth, body });

    const opened = await f.github.openPullRequest(`octo-org/${repo}`, { fork: `mallory/${repo}` });
    expect((await deliver(opened)).json).toMatchObject({ status: 'awaiting_approval' });
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'awaiting_approval');

    const notReviewer = await approve(carol);
    expect(notReviewer.status).toBe(403);
    expect(notReviewer.json).toMatchObject({ error: 'deploy:approval:not_reviewer' });
    expect((await approve(dave)).status).toBe(404);
    const noPreview = await approve(bob, {}, 7);
    expect(noPreview.status).toBe(404);
    expect(noPreview.json).toMatchObject({ error: 'apps:previews:not_found' });
    const notTheHead = await approve(bob, { sha: 'f'.repeat(40) });
    expect(notTheHead.status).toBe(409);
    expect(notTheHead.json).toMatchObject({ error: 'deploy:approval:closed' });

    const sha = opened.pull_request.head.sha;
    const approved = await approve(bob, { comment: 'Read the diff.' });
    expect(approved.status).toBe(200);
    expect(approved.json).toEqual({ app: repo, preview: name, pr: 1, sha, approvedBy: bob.username, deploys: true });
    const again = await approve(bob, { sha });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: 'deploy:approval:closed' });
    await waitFor(async () => (await previewOf(repo, 1))?.state === 'live', 90_000);
    expect(await live(name)).toContain(sha.slice(0, 7));
    expect(await previewOf(repo, 1)).toMatchObject({ approval: { by: bob.username, sha, comment: 'Read the diff.' } });

    const pushed = await f.github.pushToPullRequest(`octo-org/${repo}`, 1);
    expect((await deliver(pushed)).json).toMatchObject({ status: 'awaiting_approval' });
    await waitFor(async () => {
      const seen = await previewOf(repo, 1);
      return seen?.state === 'awaiting_approval' && seen.head.sha === pushed.pull_request.head.sha;
    });
    await sleep(1_000);
    expect(await live(name)).toContain(sha.slice(0, 7));
  }, 240_000);
});
