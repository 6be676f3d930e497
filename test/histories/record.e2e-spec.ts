import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { temporalBinary } from '../../tools/stack';
import { travisBuild } from '../support/payloads';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { PipelineFixture } from '../pipeline/pipeline-fixture';

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
  beforeAll(async () => {
    f = await PipelineFixture.start({ TRAVIS_WAIT_TIMEOUT: '1h', RELEASES_KEPT: '2', CI_POLL_INTERVAL: '1s' });
  });
  afterAll(() => f?.stop());

  /** The history as the Temporal CLI and UI export it (the SDK's own historyToJSON trips over two protobufjs copies). */
  async function save(name: string, workflowId: string): Promise<void> {
    const { address, namespace } = f.harness.config.temporal;
    const json = execFileSync(temporalBinary(), ['workflow', 'show', '--address', address, '--namespace', namespace, '--workflow-id', workflowId, '--output', 'json'], { encoding: 'utf8' });
    await writeFile(join(__dirname, release!, `${name}.json`), json, { flag: 'wx' });
  }
  const travis = (repo: string, sha: string, statusMessage: string) =>
    f.harness.request('POST', '/1/deploy', { headers: { 'travis-repo-slug': `octo-org/${repo}` }, body: travisBuild({ repo, sha, statusMessage }) });

  beforeAll(() => mkdir(join(__dirname, release!), { recursive: true }));

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
    await save('line', `line/admin/${a.repo}`); // still running (an app's line lives on): its history so far
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
    const { repo, sha } = await f.commit({ files: { '.github/workflows/ci.yml': 'on: push\n' } });
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}`, ci: 'github' } })).status).toBe(200);
    const suite = f.github.ci.addSuite(`octo-org/${repo}`, sha, { runs: [{ name: 'test' }] });
    const pushed = await f.push(repo, sha);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    f.github.ci.completeSuite(suite, 'success');
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    await save('deployment-github-checks', pushed.json.workflowId);
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
});
