import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { githubHeaders, githubPush } from '../support/payloads';
import { PipelineFixture } from './pipeline-fixture';

const BOB = { username: 'bob', password: 'bob-password-for-tests' };

/**
 * What one user's pushes may not do to another's apps, and one live run per commit: found by
 * a hostile review of the running product, each fixed and pinned here.
 */
describe('deployment pipeline: tenants and retries', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
    expect((await f.harness.request('POST', '/1/users', { body: BOB })).status).toBe(201);
  });
  afterAll(() => f.stop());

  const pushAs = (auth: typeof BOB | undefined, repo: string, sha: string) =>
    f.harness.request('POST', '/1/deploy', { auth, headers: githubHeaders('push'), body: githubPush({ repo, sha }) });

  it('keeps an app name on the shared default target to the first user who deployed it', async () => {
    const { repo, sha } = await f.commit({ repo: 'shared-name' });
    expect(await f.outcome((await pushAs(undefined, repo, sha)).json.workflowId)).toEqual({ state: 'succeeded' });
    const deployed = await readFile(join(f.deployDir, repo, 'index.js'), 'utf8');

    // bob's repository of the same name deploys under the same package name: refused, nothing replaced.
    const theirs = await f.commit({ repo: 'shared-name', files: { 'index.js': 'console.log("bob was here")\n' } });
    const bobs = await pushAs(BOB, repo, theirs.sha);
    expect(await f.outcome(bobs.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:app:name_taken' } });
    // Nor through his own target that is the default receiver under another spelling: refused
    // when configured (security review finding 1, docs/reliability.md#security-findings-issue-18-targets-and-outbound-calls: 0.0.0.0 and IPv4-mapped spellings passed)...
    const port = new URL(f.receiverUrl).port;
    for (const host of ['localhost', '0.0.0.0', '[::ffff:127.0.0.1]', '[::]']) {
      const answer = await f.harness.request('PUT', `/1/apps/bob/${repo}`, {
        auth: BOB,
        body: { repository: 'octo-org/other', target: { url: `http://${host}:${port}/push` } },
      });
      expect([host, answer.status, answer.json.error]).toEqual([host, 400, 'apps:bad_target']);
    }
    // ...and at upload, for an app stored before the rule (or whose host resolves elsewhere since).
    expect(
      (
        await f.harness.request('PUT', `/1/apps/bob/${repo}`, {
          auth: BOB,
          body: { repository: 'octo-org/other', target: { url: 'http://127.0.0.1:9/push' } },
        })
      ).status,
    ).toBe(200);
    await f.harness.db
      .collection('apps')
      .updateOne({ _id: `bob/${repo}` as never }, { $set: { 'target.url': `http://0.0.0.0:${port}/push` } });
    const viaOwnTarget = await pushAs(BOB, 'other', (await f.commit({ repo: 'other' })).sha);
    expect(viaOwnTarget.status).toBe(202);
    expect(await f.outcome(viaOwnTarget.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:app:name_taken' } });
    // bob removing his own app of that name leaves admin's deployment alone: nothing of his is there.
    expect((await f.harness.request('PUT', `/1/apps/bob/${repo}`, { auth: BOB, body: { repository: 'bob-org/other' } })).status).toBe(200);
    const removal = await f.harness.request('DELETE', `/1/apps/bob/${repo}`, { auth: BOB });
    expect(await f.outcome(removal.json.workflowId)).toEqual({ state: 'succeeded' });
    expect((await f.steps(removal.json.id)).map((e) => (e as { message?: string }).message)).toContain(
      `Nothing of bob's named ${repo} is on the shared default target; nothing to remove there.`,
    );
    expect((await f.harness.request('GET', `/1/apps/bob/${repo}`, { auth: BOB })).json.error).toBe('apps:not_found');
    expect(await readFile(join(f.deployDir, repo, 'index.js'), 'utf8')).toBe(deployed);
  });

  it("never polls the shared receiver's status with an id of another target's choosing", async () => {
    const port = new URL(f.receiverUrl).port;
    const app = (statusUrl: string) =>
      f.harness.request('PUT', '/1/apps/bob/peek', {
        auth: BOB,
        body: { repository: 'octo-org/peek', target: { url: 'http://127.0.0.1:9/push', statusUrl } },
      });
    const answer = await app(`http://[::ffff:127.0.0.1]:${port}/status/{{id}}`);
    expect([answer.status, answer.json.error, answer.json.message]).toEqual([
      400,
      'apps:bad_target',
      expect.stringMatching(/target\.statusUrl reaches the shared default target/),
    ]);
    // Stored before the rule: the deployment stops before any upload or poll.
    expect((await app('http://127.0.0.1:9/status/{{id}}')).status).toBe(200);
    await f.harness.db
      .collection('apps')
      .updateOne({ _id: 'bob/peek' as never }, { $set: { 'target.statusUrl': `http://0.0.0.0:${port}/status/{{id}}` } });
    const pushed = await pushAs(BOB, 'peek', (await f.commit({ repo: 'peek' })).sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({
      state: 'failed',
      error: { code: 'deploy:receiver:upload_tarball', message: expect.stringMatching(/statusUrl reaches the shared default target/) },
    });
  });

  it("checks the name again at upload: a target removed mid-deployment does not reach another user's app", async () => {
    const { repo, sha } = await f.commit({ repo: 'mid-flight' });
    expect(await f.outcome((await f.push(repo, sha)).json.workflowId)).toEqual({ state: 'succeeded' });
    const deployed = await readFile(join(f.deployDir, repo, 'index.js'), 'utf8');
    // bob's app of the same name first points at a target that refuses connections, so uploads retry...
    const bobRepo = 'bob-mid-flight';
    const bobCommit = await f.commit({
      repo: bobRepo,
      files: { 'package.json': JSON.stringify({ name: repo, version: '1.0.0' }), 'index.js': 'bob\n' },
    });
    const app = (target?: object) =>
      f.harness.request('PUT', `/1/apps/bob/${repo}`, {
        auth: BOB,
        body: { repository: `octo-org/${bobRepo}`, ...(target ? { target } : {}) },
      });
    expect((await app({ url: 'http://127.0.0.1:9/push' })).status).toBe(200);
    const pushed = await pushAs(BOB, bobRepo, bobCommit.sha);
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      if ((await f.steps(pushed.json.id)).some((e) => /Attempt 1 failed/.test((e as { message?: string }).message ?? ''))) break;
    }
    // ...then loses its target: the next attempt would go to the shared default target.
    expect((await app()).status).toBe(200);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:app:name_taken' } });
    expect(await readFile(join(f.deployDir, repo, 'index.js'), 'utf8')).toBe(deployed);
  });

  it('keeps an app changed while its removal ran: the PUT answered 200, so the app stays', async () => {
    const { repo, sha } = await f.commit({ repo: 'changed-while-removed' });
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    expect(await f.outcome((await f.push(repo, sha)).json.workflowId)).toEqual({ state: 'succeeded' });
    f.hooks.execute = () => new Promise((resolve) => setTimeout(resolve, 1_500)); // the target takes its time to remove it
    const removal = await f.harness.request('DELETE', `/1/apps/admin/${repo}`);
    const changed = await f.harness.request('PUT', `/1/apps/admin/${repo}`, {
      body: { repository: `octo-org/${repo}`, env: { NEW: 'config' } },
    });
    expect(changed.status).toBe(200);
    expect(await f.outcome(removal.json.workflowId)).toEqual({ state: 'succeeded' });
    f.hooks.execute = undefined;
    expect((await f.harness.request('GET', `/1/apps/admin/${repo}`)).json).toMatchObject({ name: repo, envKeys: ['NEW'] });
  });

  it("cancels the app's deployments still in flight when it is removed, so none puts it back", async () => {
    const { repo, sha } = await f.commit({ repo: 'removed-while-waiting' });
    expect(
      (await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, ci: 'travis' } })).status,
    ).toBe(200);
    const pushed = await f.push(repo, sha); // waits for a Travis result that will not come before the removal
    const visible = `DeployApp = "${repo}" AND ExecutionStatus = "Running"`;
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      let found = false;
      for await (const workflow of f.harness.temporal.workflow.list({ query: visible }))
        found ||= workflow.workflowId === pushed.json.workflowId;
      if (found) break;
    }
    const removal = await f.harness.request('DELETE', `/1/apps/admin/${repo}`);
    expect(removal.status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({
      state: 'canceled',
      error: { code: 'deploy:canceled', message: expect.stringContaining('being removed') },
    });
    expect(await f.outcome(removal.json.workflowId)).toEqual({ state: 'succeeded' });
    expect((await f.harness.request('GET', `/1/apps/admin/${repo}`)).json.error).toBe('apps:not_found');
  });

  it("removes an app re-created under a removed app's name", async () => {
    for (let round = 0; round < 2; round++) {
      expect((await f.harness.request('PUT', '/1/apps/admin/phoenix', { body: { repository: 'octo-org/phoenix' } })).status).toBe(200);
      const removal = await f.harness.request('DELETE', '/1/apps/admin/phoenix');
      expect(removal.json).toMatchObject({ status: 'queued' });
      expect(await f.outcome(removal.json.workflowId)).toEqual({ state: 'succeeded' });
      expect((await f.harness.request('GET', '/1/apps/admin/phoenix')).json.error).toBe('apps:not_found');
    }
  });

  it('never lets another repository borrow an app (its target, env and webhook secret) by package name', async () => {
    const put = await f.harness.request('PUT', '/1/apps/admin/guarded', {
      body: { repository: 'octo-org/the-real-one', webhookSecret: 'guarded-secret', env: { SECRET: 'x' } },
    });
    expect(put.status).toBe(200);
    // An unsigned push of another repository whose package.json is named like the app.
    const { repo, sha } = await f.commit({ files: { 'package.json': JSON.stringify({ name: 'guarded', version: '1.0.0' }) } });
    const pushed = await f.push(repo, sha);
    expect(pushed.status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:app:other_repository' } });
    await expect(readFile(join(f.deployDir, 'guarded', 'index.js'), 'utf8')).rejects.toThrow();
  });

  it("never triggers another user's app of the same repository with my push", async () => {
    const { repo, sha } = await f.commit({ repo: 'shared-repo' });
    // bob's apps of the very repository admin deploys: same branch, and a tag trigger.
    for (const [app, settings] of [
      ['bob-shared', {}],
      ['bob-tags', { deployOn: { tags: '*' } }],
    ] as const) {
      const answer = await f.harness.request('PUT', `/1/apps/bob/${app}`, {
        auth: BOB,
        body: { repository: `octo-org/${repo}`, target: { url: 'http://127.0.0.1:9/push' }, env: { BOB_SECRET: 'x' }, ...settings },
      });
      expect([app, answer.status]).toEqual([app, 200]);
    }
    expect((await f.harness.request('PUT', '/1/apps/admin/admin-shared', { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    for (const ref of ['refs/heads/main', 'refs/tags/v9']) {
      const pushed = await f.push(repo, sha, { ref });
      if (ref === 'refs/heads/main') {
        expect(pushed.json.deployments).toBeUndefined(); // admin's one app only
        expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      } else expect(pushed.json).toMatchObject({ status: 'ignored', ignored: [{ app: 'admin-shared' }] });
    }
    expect(await f.harness.db.collection('deployments').countDocuments({ user: 'bob', repository: `octo-org/${repo}` })).toBe(0);
    expect(
      await f.harness.db
        .collection('deployments')
        .find({ commit: sha })
        .map((d) => `${d.user}/${d.app}`)
        .toArray(),
    ).toEqual(['admin/admin-shared']);
  });

  it('starts one retry for many asked at once, and answers it while it runs', async () => {
    const { repo, sha } = await f.commit();
    f.hooks.execute = async () => {
      throw new Error('first run fails');
    };
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed' });
    f.hooks.execute = () => new Promise((resolve) => setTimeout(resolve, 1_500)); // the retry takes a while

    const answers = await Promise.all(
      Array.from({ length: 12 }, () => f.harness.request('POST', `/1/deployments/${pushed.json.id}/retry`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(202));
    const ids = new Set(answers.map((a) => a.json.id));
    expect(ids.size).toBe(1);
    const [retry] = answers;
    expect(retry.json).toMatchObject({ retryOf: pushed.json.id, workflowId: `${pushed.json.workflowId}/retry-1` });
    const again = await f.harness.request('POST', `/1/deployments/${pushed.json.id}/retry`);
    expect(again.json).toMatchObject({ id: retry.json.id, existing: true });
    expect(await f.outcome(retry.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(2);
    f.hooks.execute = undefined;
    // Nothing left to cancel: said so, not "cancel_requested".
    expect((await f.harness.request('POST', `/1/deployments/${retry.json.id}/cancel`)).json).toMatchObject({
      error: 'deployments:not_cancelable',
    });
  });
});
