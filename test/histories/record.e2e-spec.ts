import { lineWorkflowId } from '../../libs/deployments';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporalBinary } from '../../tools/stack';
import { travisBuild } from '../support/payloads';
import { createServer, request } from 'node:http';
import { AddressInfo } from 'node:net';
import { PipelineFixture, waitFor } from '../pipeline/pipeline-fixture';
import { buildTarGz } from '../../tools/github-standin/github-standin';
import { gate } from '../support/gate';
import { MongoFaultProxy } from '../support/mongo-fault-proxy';
import { HealthEndpoint } from '../support/health-endpoint';

/**
 * Records the histories that test/histories/replay.spec.ts replays: one real run of each path
 * of each workflow type, on the real stack. Run when a release ships workflow code:
 *   RECORD_HISTORIES=<release> npx jest test/histories/record
 * writes test/histories/<release>/<name>.json. Recorded files are never rewritten: a release's
 * histories are what its running workflows look like, and every later release must replay them.
 */
const release = process.env.RECORD_HISTORIES;
(release ? describe : describe.skip)(`record workflow histories of release ${release}`, () => {
  let f: PipelineFixture;
  // The worker alone reaches MongoDB through a fault proxy (it passes everything until a case asks it to fail).
  let store: MongoFaultProxy;
  beforeAll(async () => {
    store = await MongoFaultProxy.start(process.env.TEST_MONGO_URL!);
    f = await PipelineFixture.start({ TRAVIS_WAIT_TIMEOUT: '1h', RELEASES_KEPT: '2', CI_POLL_INTERVAL: '1s', STORE_OUTAGE_TOLERANCE: '15s' }, { workerMongoUrl: store.url });
  });
  afterAll(async () => {
    await f?.stop();
    await store?.stop();
  });
  afterEach(() => {
    f.hooks.execute = undefined;
    f.github.tarballGate = undefined;
  });

  /** The history as the Temporal CLI and UI export it (the SDK's own historyToJSON trips over two protobufjs copies). */
  async function save(name: string, workflowId: string): Promise<void> {
    const { address, namespace } = f.harness.config.temporal;
    const json = execFileSync(temporalBinary(), ['workflow', 'show', '--address', address, '--namespace', namespace, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
    await writeFile(join(__dirname, release!, `${name}.json`), json, { flag: 'wx' });
  }
  const travis = (repo: string, sha: string, statusMessage: string) =>
    f.harness.request('POST', '/1/deploy', { headers: { 'travis-repo-slug': `octo-org/${repo}` }, body: travisBuild({ repo, sha, statusMessage }) });

  beforeAll(() => mkdir(join(__dirname, release!), { recursive: true }));
  /** A push of a commit gated by GitHub checks (ci: github) whose suite completes with `conclusion` while the gate polls. */
  async function githubGated(conclusion: 'success' | 'failure') {
    const { repo, sha } = await f.commit({ files: { '.github/workflows/ci.yml': 'on: push\n' } });
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, ci: 'github' } })).status).toBe(200);
    const suite = f.github.ci.addSuite(`octo-org/${repo}`, sha, { runs: [{ name: 'test' }] });
    const pushed = await f.push(repo, sha);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    f.github.ci.completeSuite(suite, conclusion);
    return pushed;
  }

  it('deployment: push → succeeded, with the target polled', async () => {
    const { repo, sha } = await f.commit();
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-succeeded', pushed.json.workflowId);
  });

  it('deployment: gated by Travis, Passed → succeeded', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await travis(repo, sha, 'Passed');
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-travis-passed', pushed.json.workflowId);
  });

  it('deployment: Travis first, then the push; Travis Failed → failed', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    await travis(repo, sha, 'Failed');
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:travis:failed' } });
    await save('deployment-travis-failed', pushed.json.workflowId);
  });

  it('deployment: canceled while waiting for CI', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await f.harness.request('POST', `/1/deployments/${pushed.json.id}/cancel`)).status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:canceled' } });
    await save('deployment-canceled', pushed.json.workflowId);
  });

  it('deployment: no package.json → failed', async () => {
    const { repo, sha } = await f.commit({ files: { 'package.json': 'not json' } });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:github:no_pkg_json' } });
    await save('deployment-no-pkg-json', pushed.json.workflowId);
  });

  it('line: an app\'s release line that admitted a deployment and ended a stale push', async () => {
    const a = await f.commit();
    const b = await f.commit({ repo: a.repo, parent: a.sha });
    const newer = await f.push(a.repo, b.sha, { before: a.sha });
    expect(await f.outcome(newer.json.workflowId)).toEqual({ state: 'succeeded' });
    const older = await f.push(a.repo, a.sha);
    expect(await f.outcome(older.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:stale' } });
    await save('line', lineWorkflowId('admin', a.repo, f.harness.config.temporal.taskQueue)); // still running (an app's line lives on): its history so far
    await save('deployment-stale', older.json.workflowId);
  });

  it('undeployment: an app removed from its target', async () => {
    const { repo, sha } = await f.commit({ repo: `removable-${Date.now()}` });
    // On the shared default target (the fixture's receiver): no app may name that one as its own.
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } });
    expect(put.status).toBe(200);
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const undeploy = await f.harness.request('POST', `/1/apps/admin/${repo}/undeploy`);
    expect(await f.outcome(undeploy.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('undeployment', undeploy.json.workflowId);
  });

  it('deployment: rollback from a kept tarball, and rollback fetched from GitHub again (a new input field: release)', async () => {
    const repo = `rolled-back-${Date.now()}`;
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } });
    expect(put.status).toBe(200);
    let parent: string | undefined;
    for (let i = 1; i <= 2; i++) {
      const { sha } = await f.commit({ repo, parent, files: { 'index.js': `// ${i}\n` } });
      const pushed = await f.push(repo, sha, { before: parent });
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      parent = sha;
    }
    const kept = await f.harness.request('POST', `/1/apps/admin/${repo}/rollback`, { body: {} });
    expect(await f.outcome(kept.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-rollback-kept', kept.json.workflowId);
    const redeploy = await f.harness.request('POST', `/1/apps/admin/${repo}/redeploy`);
    expect(await f.outcome(redeploy.json.workflowId)).toEqual({ state: 'succeeded' });
    // RELEASES_KEPT=2 (below): v1's tarball was pruned by now, so this one downloads it again.
    const refetched = await f.harness.request('POST', `/1/apps/admin/${repo}/rollback`, { body: { release: 1 } });
    expect(await f.outcome(refetched.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-rollback-refetched', refetched.json.workflowId);
  });

  it('deployment: gated by GitHub checks (ci: github), the suite found green by the gate\'s poll', async () => {
    const pushed = await githubGated('success');
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-github-checks', pushed.json.workflowId);
  });

  it('deployment: waits its turn behind the one at the target (queued); the one skipped ends superseded', async () => {
    const app = `queued-${Date.now()}`;
    await f.configure(app);
    const a = await f.labelledCommit(app, 'A');
    const b = await f.labelledCommit(app, 'B', a.sha);
    const c = await f.labelledCommit(app, 'C', b.sha);
    const { held, open } = gate();
    let atTarget = 0;
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name !== app) return;
      if (atTarget++ === 0) await held; // A stays at the target until B and C wait behind it
    };
    const first = await f.push(app, a.sha);
    await waitFor(async () => atTarget === 1);
    const skipped = await f.push(app, b.sha, { before: a.sha });
    await waitFor(async () => (await f.steps(skipped.json.id)).some((s) => s.step === 'queued'));
    const last = await f.push(app, c.sha, { before: b.sha });
    await waitFor(async () => (await f.steps(last.json.id)).some((s) => s.step === 'queued'));
    open();
    expect(await f.outcome(first.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.outcome(last.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.outcome(skipped.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:superseded' } });
    await save('deployment-queued', last.json.workflowId);
    await save('deployment-superseded', skipped.json.workflowId);
    await save('line-queued', lineWorkflowId('admin', app, f.harness.config.temporal.taskQueue)); // a wait told, an older one ended superseded, the next admitted
  });

  it('deployment: the target reports ERROR while processing → failed', async () => {
    const { repo, sha } = await f.commit();
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name === repo) throw new Error('the start script exited 1');
    };
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:receiver:start_app' } });
    await save('deployment-processing-error', pushed.json.workflowId);
  });

  it('deployment: the first upload answered 503, the second accepted (the workflow counts the attempts)', async () => {
    const repo = `upload-retried-${Date.now()}`;
    let refused = 0;
    // In front of the fixture's receiver: the first push is answered 503, everything else goes through.
    const proxy = createServer((req, res) => {
      if (req.method === 'POST' && refused++ === 0) {
        req.resume();
        return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"busy"}');
      }
      const target = new URL(req.url ?? '/', f.receiverUrl);
      const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => req.socket.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const via = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, {
        body: { repository: `octo-org/${repo}`, target: { url: `${via}/push`, statusUrl: `${via}/status/{{id}}` } },
      });
      expect(put.status).toBe(200);
      const { sha } = await f.commit({ repo });
      const pushed = await f.push(repo, sha);
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      expect(refused).toBeGreaterThan(1);
      await save('deployment-upload-retried', pushed.json.workflowId);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('deployment: GitHub checks fail → failed (deploy:ci:failed)', async () => {
    const pushed = await githubGated('failure');
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:ci:failed' } });
    await save('deployment-github-checks-failed', pushed.json.workflowId);
  });

  it('deployment: a tarball the inspection refuses → failed, nothing uploaded', async () => {
    const tarball = await buildTarGz([
      { name: 'app/package.json', content: '{"name":"x","version":"1.0.0"}' },
      { name: 'app/dev-null', type: 'character-device' },
    ]);
    const { repo, sha } = await f.commit({ tarball });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:tar:device_file' } });
    await save('deployment-tar-refused', pushed.json.workflowId);
  });

  it('deployment: canceled while the tarball downloads (the running activity is canceled)', async () => {
    const { repo, sha } = await f.commit();
    const { held, open } = gate();
    f.github.tarballGate = held;
    const pushed = await f.push(repo, sha);
    try {
      await waitFor(async () => f.github.downloads.some((d) => d.repository === `octo-org/${repo}`));
      expect((await f.harness.request('POST', `/1/deployments/${pushed.json.id}/cancel`)).status).toBe(202);
      expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:canceled' } });
    } finally {
      open();
    }
    await save('deployment-canceled-fetching', pushed.json.workflowId);
  });

  it('deployment: MongoDB fails the app reads of a step until it gives up → failed (deploy:db:unavailable)', async () => {
    const { repo, sha } = await f.commit();
    await f.configure(repo);
    const fault = store.fail({ collection: 'apps', commands: ['find', 'aggregate'] });
    try {
      const pushed = await f.push(repo, sha);
      expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:db:unavailable' } });
      await save('deployment-store-failure', pushed.json.workflowId);
    } finally {
      fault.remove();
    }
  });

  it('notification: one event delivered after a failed attempt', async () => {
    let answers = [500];
    const subscriber = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve));
    try {
      const { repo, sha } = await f.commit();
      expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
      const url = `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/hook`;
      expect((await f.harness.request('POST', `/1/apps/admin/${repo}/notifications`, { body: { url, events: ['deployment.succeeded'], secret: 's' } })).status).toBe(201);
      const pushed = await f.push(repo, sha);
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      let delivered: { id: string; status: string } | undefined;
      while (!delivered) {
        const list = (await f.harness.request('GET', `/1/apps/admin/${repo}/deliveries`)).json as Array<{ id: string; status: string }>;
        delivered = list.find((d) => d.status === 'delivered');
        if (!delivered) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      answers = [];
      await save('notification', `notification/${delivered.id}`);
    } finally {
      subscriber.close();
    }
  });

  it('deployment: rollback by ACTIVATE, and its fallback to an upload when the receiver no longer keeps the release (patch activate-release)', async () => {
    const repo = `activated-${Date.now()}`;
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, retain: true } });
    expect(put.status).toBe(200);
    let parent: string | undefined;
    const ids: string[] = [];
    for (let i = 1; i <= 2; i++) {
      const { sha } = await f.commit({ repo, parent, files: { 'index.js': `// ${i}\n` } });
      const pushed = await f.push(repo, sha, { before: parent });
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      ids.push(pushed.json.id);
      parent = sha;
    }
    const activated = await f.harness.request('POST', `/1/apps/admin/${repo}/rollback`, { body: { release: 1 } });
    expect(await f.outcome(activated.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-rollback-activate', activated.json.workflowId);
    // The receiver loses v2's kept files: its ACTIVATE ends ERROR receiver:release_not_kept, and v2's kept tarball is uploaded.
    await rm(join(f.deployDir, '.releases', repo, ids[1]), { recursive: true, force: true });
    const fallback = await f.harness.request('POST', `/1/apps/admin/${repo}/rollback`, { body: { release: 2 } });
    expect(await f.outcome(fallback.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-rollback-activate-not-kept', fallback.json.workflowId);
  });

  /** An app of admin's with approval or window settings; admin may approve its own deployments here (allowSelf). */
  async function heldApp(settings: Record<string, unknown>): Promise<string> {
    const { repo } = await f.commit();
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, ...settings } })).status).toBe(200);
    return repo;
  }
  const waitsIn = (id: string, state: string) =>
    waitFor(async () => (await f.harness.db.collection('deployments').findOne({ _id: id as never }))?.state === state);

  it('deployment: awaiting approval, approved (the approve Update) → succeeded', async () => {
    const repo = await heldApp({ approval: { allowSelf: true } });
    const pushed = await f.push(repo, (await f.commit({ repo })).sha);
    await waitsIn(pushed.json.id, 'awaiting_approval');
    expect((await f.harness.request('POST', `/1/deployments/${pushed.json.id}/approve`, { body: { comment: 'ok' } })).status).toBe(200);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-approved', pushed.json.workflowId);
  });

  it('deployment: awaiting approval, superseded by a newer push; the approval expires on its timer', async () => {
    const repo = await heldApp({ approval: { allowSelf: true, timeout: '5s' } });
    const older = await f.commit({ repo });
    const first = await f.push(repo, older.sha);
    await waitsIn(first.json.id, 'awaiting_approval');
    const newer = await f.push(repo, (await f.commit({ repo, parent: older.sha })).sha, { before: older.sha });
    expect(await f.outcome(first.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:superseded' } });
    expect(await f.outcome(newer.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:approval:expired' } });
    await save('deployment-approval-superseded', first.json.workflowId);
    await save('deployment-approval-expired', newer.json.workflowId);
  });

  it('deployment: waiting for a window during a freeze, deploy-now → succeeded', async () => {
    const now = Date.now();
    const repo = await heldApp({
      freezes: [{ from: new Date(now - 60_000).toISOString(), to: new Date(now + 86_400_000).toISOString(), reason: 'Recording' }],
    });
    const pushed = await f.push(repo, (await f.commit({ repo })).sha);
    await waitsIn(pushed.json.id, 'waiting_for_window');
    expect((await f.harness.request('POST', `/1/deployments/${pushed.json.id}/deploy-now`, { body: { reason: 'Recording' } })).status).toBe(200);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-deploy-now', pushed.json.workflowId);
  });

  it('preview: opened, synchronized, closed → torn down once', async () => {
    const repo = `preview-${Date.now().toString(36)}`;
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, previews: { enabled: true } } })).status).toBe(200);
    const deliver = (payload: object) =>
      f.harness.request('POST', '/1/deploy', { headers: { 'x-github-event': 'pull_request', 'x-github-delivery': `${Date.now()}` }, body: payload as Record<string, unknown> });
    const listed = async () => ((await f.harness.request('GET', `/1/apps/admin/${repo}/previews`)).json as Array<{ state: string; head?: { sha: string } }>)[0];
    const opened = await deliver(await f.github.openPullRequest(`octo-org/${repo}`));
    expect(opened.status).toBe(202);
    await waitFor(async () => (await listed())?.state === 'live', 90_000);
    const synchronized = await f.github.pushToPullRequest(`octo-org/${repo}`, 1);
    await deliver(synchronized);
    await waitFor(async () => (await listed())?.state === 'live' && (await listed())?.head?.sha === synchronized.pull_request.head.sha, 90_000);
    await deliver(f.github.closePullRequest(`octo-org/${repo}`, 1, true));
    await waitFor(async () => (await listed())?.state === 'removed', 90_000);
    await save('preview-closed', opened.json.previews[0].workflowId);
  });

  it("preview: a fork's head waits for an approval, then closed", async () => {
    const repo = `preview-fork-${Date.now().toString(36)}`;
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, previews: { enabled: true } } })).status).toBe(200);
    const deliver = (payload: object) =>
      f.harness.request('POST', '/1/deploy', { headers: { 'x-github-event': 'pull_request', 'x-github-delivery': `${Date.now()}` }, body: payload as Record<string, unknown> });
    const listed = async () => ((await f.harness.request('GET', `/1/apps/admin/${repo}/previews`)).json as Array<{ state: string }>)[0];
    const opened = await deliver(await f.github.openPullRequest(`octo-org/${repo}`, { fork: `mallory/${repo}` }));
    await waitFor(async () => (await listed())?.state === 'awaiting_approval');
    await deliver(f.github.closePullRequest(`octo-org/${repo}`, 1));
    await waitFor(async () => (await listed())?.state === 'removed');
    await save('preview-fork-closed', opened.json.previews[0].workflowId);
  });

  /** An app with a short health-checked bake (docs/contract.md#verified-releases) at a local health endpoint answering `health.status`. */
  async function bakedApp() {
    const health = await new HealthEndpoint().start();
    const url = health.url;
    const { repo, sha } = await f.labelledCommit(`baked-${Date.now().toString(36)}`, 'C1');
    const healthCheck = { url, interval: '1s', timeout: '1s', bake: '3s', failureThreshold: 2 };
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, healthCheck } })).status).toBe(200);
    return { repo, sha, health, close: () => void health.stop() };
  }

  it('deployment: health-checked bake passes → succeeded', async () => {
    const { repo, sha, close } = await bakedApp();
    try {
      const pushed = await f.push(repo, sha);
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      await save('deployment-bake-passed', pushed.json.workflowId);
    } finally {
      close();
    }
  });

  it('deployment: health-checked bake fails → deploy:health:failed, the automatic rollback, a push waiting in the line ended naming the lock', async () => {
    const { repo, sha, health, close } = await bakedApp();
    try {
      expect(await f.outcome((await f.push(repo, sha)).json.workflowId)).toEqual({ state: 'succeeded' });
      const c2 = await f.labelledCommit(repo, 'C2', sha);
      const bad = await f.push(repo, c2.sha, { before: sha });
      const record = async (id: string) => (await f.harness.request('GET', `/1/deployments/${id}`)).json;
      await waitFor(async () => (await record(bad.json.id)).state?.state === 'verifying');
      const c3 = await f.labelledCommit(repo, 'C3', c2.sha);
      const waiting = await f.push(repo, c3.sha, { before: c2.sha });
      await waitFor(async () => (await record(waiting.json.id)).state?.state === 'queued');
      health.status = 500;
      expect(await f.outcome(bad.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:health:failed' } });
      const locked = (await f.harness.request('GET', `/1/apps/admin/${repo}`)).json.locked;
      const rollback = await record(locked.deployment);
      expect(await f.outcome(rollback.workflowId)).toEqual({ state: 'succeeded' });
      expect(await f.outcome(waiting.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:canceled' } });
      await save('deployment-bake-failed', bad.json.workflowId);
      await save('deployment-auto-rollback', rollback.workflowId);
      await save('line-auto-rollback', lineWorkflowId('admin', repo, f.harness.config.temporal.taskQueue)); // still running: the waiting push ended naming the lock
    } finally {
      close();
    }
  });

  it("preview: a fork's head approved through POST …/previews/:pr/approve → live, then closed", async () => {
    const repo = `preview-approved-${Date.now().toString(36)}`;
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, previews: { enabled: true } } })).status).toBe(200);
    const deliver = (payload: object) =>
      f.harness.request('POST', '/1/deploy', { headers: { 'x-github-event': 'pull_request', 'x-github-delivery': `${Date.now()}` }, body: payload as Record<string, unknown> });
    const listed = async () => ((await f.harness.request('GET', `/1/apps/admin/${repo}/previews`)).json as Array<{ state: string }>)[0];
    const opened = await deliver(await f.github.openPullRequest(`octo-org/${repo}`, { fork: `mallory/${repo}` }));
    await waitFor(async () => (await listed())?.state === 'awaiting_approval');
    expect((await f.harness.request('POST', `/1/apps/admin/${repo}/previews/1/approve`, { body: {} })).status).toBe(200);
    await waitFor(async () => (await listed())?.state === 'live', 90_000);
    await deliver(f.github.closePullRequest(`octo-org/${repo}`, 1));
    await waitFor(async () => (await listed())?.state === 'removed', 90_000);
    await save('preview-fork-approved', opened.json.previews[0].workflowId);
  });

  it('pipelineRun: two stages succeed; a second run fails its stage 2 (a failed bake) and compensates stage 1', async () => {
    const { repo, sha, health, close } = await bakedApp();
    try {
      const put = (app: string, body: object) =>
        f.harness.request('PUT', `/1/apps/admin/${app}`, { body: { repository: `octo-org/${repo}`, deployOn: { branch: 'release' }, ...body } });
      expect((await put(`${repo}-s1`, {})).status).toBe(200);
      const healthCheck = (await f.harness.request('GET', `/1/apps/admin/${repo}`)).json.healthCheck;
      expect((await put(`${repo}-s2`, { healthCheck })).status).toBe(200);
      const live = async (app: string) => ((await f.harness.request('GET', `/1/apps/admin/${app}/releases`)).json as Array<{ live: boolean }>).some((r) => r.live);
      await f.push(repo, sha);
      await f.push(repo, sha, { ref: 'refs/heads/release' });
      for (const app of [repo, `${repo}-s1`, `${repo}-s2`]) await waitFor(async () => live(app), 60_000);
      const body = { source: repo, stages: [{ apps: [`${repo}-s1`] }, { apps: [`${repo}-s2`] }] };
      expect((await f.harness.request('PUT', `/1/pipelines/admin/${repo}`, { body })).status).toBe(200);
      const workflowId = `pipeline/admin/${repo}`;
      expect((await f.harness.request('POST', `/1/pipelines/admin/${repo}/runs`, { body: {} })).status).toBe(202);
      expect(await f.outcome(workflowId)).toMatchObject({ state: 'succeeded' });
      await save('pipeline-run-succeeded', workflowId);
      health.status = 500;
      expect((await f.harness.request('POST', `/1/pipelines/admin/${repo}/runs`, { body: {} })).status).toBe(202);
      expect(await f.outcome(workflowId)).toMatchObject({ state: 'failed' });
      await save('pipeline-run-compensated', workflowId);
    } finally {
      close();
    }
  });

  it('deployment: the steps\' entries written by the activities doing the work, ready told by the inspection, the bookkeeping at once (patch fewer-round-trips); a refused tarball', async () => {
    const { repo, sha } = await f.commit();
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-fewer-round-trips', pushed.json.workflowId);
    const tarball = await buildTarGz([
      { name: 'app/package.json', content: '{"name":"x","version":"1.0.0"}' },
      { name: 'app/dev-null', type: 'character-device' },
    ]);
    const refused = await f.commit({ tarball });
    const failed = await f.push(refused.repo, refused.sha);
    expect(await f.outcome(failed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:tar:device_file' } });
    await save('deployment-fewer-round-trips-refused', failed.json.workflowId);
  });
});
