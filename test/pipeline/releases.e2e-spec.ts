import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { PipelineActivities } from '../../libs/pipeline';
import { metric, scrape } from '../ops/prometheus';
import { PipelineFixture, waitFor } from './pipeline-fixture';
import { gate } from '../support/gate';

type Release = {
  version: number;
  deployment: string;
  commit: string;
  cause: string;
  by: string;
  live: boolean;
  rolledBackTo?: number;
  tarballKept: boolean;
  envDigest: string;
  appVersion: string;
};

/**
 * Releases (docs/contract.md#releases): numbered releases, rollback (kept tarball or fetched again) that
 * locks the app, unlock, redeploy and env-change releases, all through the app's line on the
 * real stack. RELEASES_KEPT is 2 here so pruning shows within a few releases.
 */
describe('releases: numbered history, rollback with lock, redeploy, env', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start({ RELEASES_KEPT: '2' });
  });
  afterAll(() => f.stop());
  afterEach(() => {
    f.hooks.execute = undefined;
  });

  const configure = (app: string) => f.configure(app);
  const commit = (repo: string, label: string, parent?: string) => f.labelledCommit(repo, label, parent);
  const live = (app: string) => f.liveLabel(app);
  const releases = async (app: string): Promise<Release[]> => {
    const response = await f.harness.request('GET', `/1/apps/admin/${app}/releases?limit=100`);
    expect(response.status).toBe(200);
    return response.json;
  };
  const tarballRequests = (app: string, sha: string) =>
    f.github.requests.filter((r) => r.url.startsWith(`/repos/octo-org/${app}/tarball/${sha}`)).length;
  const blobs = async () => readdir(f.harness.config.blobs.dir).catch(() => [] as string[]);

  /** Pushes commits C1..Cn one after another, each deployed before the next. */
  async function pushAll(app: string, labels: string[], parent?: string): Promise<Array<{ sha: string; id: string }>> {
    const pushed: Array<{ sha: string; id: string }> = [];
    for (const label of labels) {
      const c = await commit(app, label, pushed.at(-1)?.sha ?? parent);
      const answer = await f.push(app, c.sha, { before: pushed.at(-1)?.sha ?? parent });
      expect(answer.status).toBe(202);
      expect(await f.outcome(answer.json.workflowId)).toEqual({ state: 'succeeded' });
      pushed.push({ sha: c.sha, id: answer.json.id });
    }
    return pushed;
  }

  describe("one app's history", () => {
    const app = 'history';
    let commits: Array<{ sha: string; id: string }>;

    it('three pushes make v1..v3, v3 live, each deployment linking its release', async () => {
      await configure(app);
      commits = await pushAll(app, ['C1', 'C2', 'C3']);
      const list = await releases(app);
      expect(list.map((r) => [r.version, r.commit, r.cause, r.by, r.live])).toEqual([
        [3, commits[2].sha, 'push', 'webhook:github', true],
        [2, commits[1].sha, 'push', 'webhook:github', false],
        [1, commits[0].sha, 'push', 'webhook:github', false],
      ]);
      expect(list[0]).toMatchObject({
        deployment: commits[2].id,
        appVersion: '1.2.3',
        envDigest: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/),
      });
      // Keyed: not the plain sha256 of the env delivered (`{}`), which anyone could recompute (docs/reliability.md#tenant-isolation-review).
      expect(list[0].envDigest).not.toContain(createHash('sha256').update('[]').digest('hex'));
      // RELEASES_KEPT=2: v1's tarball is gone from blob storage, v2's and v3's stay.
      expect(list.map((r) => r.tarballKept)).toEqual([true, true, false]);
      expect((await blobs()).filter((name) => commits.some((c) => name.includes(c.id)))).toHaveLength(2);
      expect((await f.harness.request('GET', `/1/deployments/${commits[1].id}`)).json).toMatchObject({ release: 2 });
      // The finish activity run again (a replay, or a retry after a lost answer) makes no second release.
      const pipeline = f.harness.worker!.get(PipelineActivities);
      const v3 = {
        deploymentId: commits[2].id,
        user: 'admin',
        repository: `octo-org/${app}`,
        commit: commits[2].sha,
        app,
        state: 'succeeded',
        blobId: commits[2].id,
        operation: 'DEPLOY' as const,
      };
      await Promise.all([pipeline.finishDeployment(v3), pipeline.finishDeployment(v3)]);
      expect(await releases(app)).toEqual(list);
      expect((await blobs()).filter((name) => name.startsWith(commits[2].id))).toHaveLength(1);
      // Paging, as the other lists.
      const page = await f.harness.request('GET', `/1/apps/admin/${app}/releases?limit=1&skip=1`);
      expect(page.json.map((r: Release) => r.version)).toEqual([2]);
      expect((await f.harness.request('GET', `/1/apps/admin/${app}/releases?limit=0`)).json).toMatchObject({ error: 'request:invalid' });
    });

    it("rollback (default) makes v4 rolledBackTo 2 from the kept tarball: v2's files at the receiver, no GitHub download", async () => {
      const downloadsBefore = tarballRequests(app, commits[1].sha);
      const rollback = await f.harness.request('POST', `/1/apps/admin/${app}/rollback`, { body: {} });
      expect(rollback.status).toBe(202);
      expect(rollback.json).toMatchObject({ status: 'queued', cause: 'rollback', release: 2, rolledBackTo: 2 });
      expect(await f.outcome(rollback.json.workflowId)).toEqual({ state: 'succeeded' });
      expect(await live(app)).toBe('// C2\n');
      expect(tarballRequests(app, commits[1].sha)).toBe(downloadsBefore);
      const [v4] = await releases(app);
      expect(v4).toMatchObject({
        version: 4,
        commit: commits[1].sha,
        cause: 'rollback',
        rolledBackTo: 2,
        by: 'admin',
        live: true,
        deployment: rollback.json.id,
      });
      expect((await releases(app)).filter((r) => r.live).map((r) => r.version)).toEqual([4]);
      const steps = (await f.steps(rollback.json.id)).map((s) => s.step);
      expect(steps).not.toContain('inspect');
      expect((await f.harness.request('GET', `/1/apps/admin/${app}`)).json.locked).toMatchObject({
        release: 2,
        deployment: rollback.json.id,
      });
    });

    it('while locked a push is answered ignored (locked after a rollback) and nothing deploys', async () => {
      const c4 = await commit(app, 'C4', commits[2].sha);
      const pushed = await f.push(app, c4.sha, { before: commits[2].sha });
      expect(pushed.status).toBe(200);
      expect(pushed.json).toMatchObject({ status: 'ignored', reason: expect.stringContaining('locked after a rollback') });
      const listed = await f.harness.request('GET', `/1/users/admin/deployments?app=${app}&limit=100`);
      expect(listed.json.map((d: { commit: string }) => d.commit)).not.toContain(c4.sha);
      expect(await live(app)).toBe('// C2\n');
      expect((await releases(app)).map((r) => r.version)[0]).toBe(4);
      commits.push({ sha: c4.sha, id: '' });
    });

    it('unlock, then a push deploys again: v5 live', async () => {
      const unlocked = await f.harness.request('POST', `/1/apps/admin/${app}/unlock`);
      expect(unlocked.status).toBe(200);
      expect(unlocked.json.locked).toBeUndefined();
      const [c5] = await pushAll(app, ['C5'], commits[3].sha);
      const list = await releases(app);
      expect(list[0]).toMatchObject({ version: 5, commit: c5.sha, cause: 'push', live: true });
      expect(list.filter((r) => r.live)).toHaveLength(1);
      expect(await live(app)).toBe('// C5\n');
      commits.push(c5);
    });

    it('rollback to a release whose tarball was pruned fetches it from GitHub again and succeeds', async () => {
      expect((await releases(app)).find((r) => r.version === 1)).toMatchObject({ tarballKept: false });
      const downloadsBefore = tarballRequests(app, commits[0].sha);
      const rollback = await f.harness.request('POST', `/1/apps/admin/${app}/rollback`, { body: { release: 1 } });
      expect(rollback.status).toBe(202);
      expect(await f.outcome(rollback.json.workflowId)).toEqual({ state: 'succeeded' });
      expect(tarballRequests(app, commits[0].sha)).toBe(downloadsBefore + 1);
      expect(await live(app)).toBe('// C1\n');
      expect((await releases(app))[0]).toMatchObject({ version: 6, rolledBackTo: 1, commit: commits[0].sha, live: true });
    });

    it('rollback to a commit GitHub no longer has: 409 apps:release:unavailable, and nothing changes', async () => {
      const v3 = (await releases(app)).find((r) => r.version === 3)!;
      expect(v3.tarballKept).toBe(false);
      const repository = f.github.repositories.get(`octo-org/${app}`)!;
      delete repository.files[v3.commit];
      delete repository.tarballs[v3.commit];
      const before = {
        releases: await releases(app),
        app: (await f.harness.request('GET', `/1/apps/admin/${app}`)).json,
        deployments: (await f.harness.request('GET', `/1/users/admin/deployments?app=${app}&limit=100`)).json,
      };

      const rollback = await f.harness.request('POST', `/1/apps/admin/${app}/rollback`, { body: { release: 3 } });
      expect(rollback.status).toBe(409);
      expect(rollback.json).toMatchObject({
        error: 'apps:release:unavailable',
        message: expect.stringContaining('v3'),
        uuid: expect.any(String),
      });
      expect(await releases(app)).toEqual(before.releases);
      expect((await f.harness.request('GET', `/1/apps/admin/${app}`)).json).toEqual(before.app);
      expect((await f.harness.request('GET', `/1/users/admin/deployments?app=${app}&limit=100`)).json).toEqual(before.deployments);
      expect(await live(app)).toBe('// C1\n');
    });

    it('a release that does not exist is 404 apps:release:not_found', async () => {
      const rollback = await f.harness.request('POST', `/1/apps/admin/${app}/rollback`, { body: { release: 99 } });
      expect(rollback.status).toBe(404);
      expect(rollback.json).toMatchObject({ error: 'apps:release:not_found' });
    });
  });

  it('redeploy and an env change that deploys make releases with the new env at the receiver', async () => {
    const app = 'env-release';
    await configure(app);
    const envAt: Record<string, Record<string, string>> = {};
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name === app) envAt[pkg._doc] = pkg.env;
    };
    const metricsBefore = await scrape(`${f.harness.baseUrl}/metrics`);
    const [c1] = await pushAll(app, ['E1']);
    expect(envAt[c1.id]).toEqual({});

    const changed = await f.harness.request('PATCH', `/1/apps/admin/${app}/env`, { body: { set: { GREETING: 'hello' }, deploy: true } });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ envKeys: ['GREETING'], deployment: { cause: 'env', release: 1, status: 'queued' } });
    expect(await f.outcome(changed.json.deployment.workflowId)).toEqual({ state: 'succeeded' });
    expect(envAt[changed.json.deployment.id]).toEqual({ GREETING: 'hello' });

    expect(
      (await f.harness.request('PATCH', `/1/apps/admin/${app}/env`, { body: { set: { GREETING: 'bonjour' } } })).json.deployment,
    ).toBeUndefined();
    const redeploy = await f.harness.request('POST', `/1/apps/admin/${app}/redeploy`);
    expect(redeploy.status).toBe(202);
    expect(await f.outcome(redeploy.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(envAt[redeploy.json.id]).toEqual({ GREETING: 'bonjour' });

    const list = await releases(app);
    expect(list.map((r) => [r.version, r.cause, r.commit, r.live])).toEqual([
      [3, 'redeploy', c1.sha, true],
      [2, 'env', c1.sha, false],
      [1, 'push', c1.sha, false],
    ]);
    expect(new Set(list.map((r) => r.envDigest)).size).toBe(3);
    expect(await live(app)).toBe('// E1\n');
    const metricsAfter = await scrape(`${f.harness.baseUrl}/metrics`);
    const created = (cause: string) =>
      metric(metricsAfter, 'deploy_webhooks_deployments_total', { cause }) -
      metric(metricsBefore, 'deploy_webhooks_deployments_total', { cause });
    expect(['push', 'env', 'redeploy'].map(created)).toEqual([1, 1, 1]);
    // Redeploy and env never lock the app.
    expect((await f.harness.request('GET', `/1/apps/admin/${app}`)).json.locked).toBeUndefined();
  });

  it('redeploy of an app with no release is 404 apps:release:not_found, and an env change asked to deploy changes nothing', async () => {
    const app = 'never-deployed';
    await configure(app);
    expect((await f.harness.request('POST', `/1/apps/admin/${app}/redeploy`)).json).toMatchObject({ error: 'apps:release:not_found' });
    const changed = await f.harness.request('PATCH', `/1/apps/admin/${app}/env`, { body: { set: { A: '1' }, deploy: true } });
    expect(changed.status).toBe(404);
    expect((await f.harness.request('GET', `/1/apps/admin/${app}`)).json.envKeys).toEqual([]);
  });

  it('after an UNDEPLOY no release is live; a retry of a rollback is refused with what to ask instead', async () => {
    const app = 'undeployed-releases';
    await configure(app);
    await pushAll(app, ['U1', 'U2']);
    const rollback = await f.harness.request('POST', `/1/apps/admin/${app}/rollback`, { body: {} });
    expect(await f.outcome(rollback.json.workflowId)).toEqual({ state: 'succeeded' });
    const retry = await f.harness.request('POST', `/1/deployments/${rollback.json.id}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.json).toMatchObject({
      error: 'deployments:not_retryable',
      message: expect.stringContaining(`/1/apps/admin/${app}/rollback`),
    });

    const undeploy = await f.harness.request('POST', `/1/apps/admin/${app}/undeploy`);
    expect(await f.outcome(undeploy.json.workflowId)).toEqual({ state: 'succeeded' });
    const list = await releases(app);
    expect(list.map((r) => r.version)).toEqual([3, 2, 1]);
    expect(list.filter((r) => r.live)).toEqual([]);
    expect((await f.harness.request('POST', `/1/apps/admin/${app}/redeploy`)).json).toMatchObject({ error: 'apps:release:not_found' });
  });

  it('a rollback and a concurrent push never overlap at the target: the line holds', async () => {
    const app = 'rollback-line';
    await configure(app);
    const [r1, r2] = await pushAll(app, ['R1', 'R2']);
    let inFlight = 0;
    let most = 0;
    const atTarget: string[] = [];
    const { held, open: release } = gate();
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name !== app) return;
      most = Math.max(most, ++inFlight);
      atTarget.push(pkg._doc);
      if (atTarget.length === 1) await held; // the push stays at the target until the rollback has queued behind it
      inFlight--;
    };
    const r3 = await commit(app, 'R3', r2.sha);
    const pushed = await f.push(app, r3.sha, { before: r2.sha });
    await waitFor(async () => atTarget.length === 1);
    const rollback = await f.harness.request('POST', `/1/apps/admin/${app}/rollback`, { body: { release: 1 } });
    expect(rollback.status).toBe(202);
    await waitFor(async () => (await f.steps(rollback.json.id)).some((s) => s.step === 'queued'));
    release();

    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.outcome(rollback.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(most).toBe(1);
    expect(atTarget).toEqual([pushed.json.id, rollback.json.id]);
    expect(await live(app)).toBe('// R1\n');
    expect((await releases(app))[0]).toMatchObject({ version: 4, rolledBackTo: 1, commit: r1.sha, live: true });
  });
});
