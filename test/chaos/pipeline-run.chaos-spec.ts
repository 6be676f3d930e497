import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { githubPush } from '../../tools/github-standin/github-standin';
import { ADMIN } from '../support/harness';
import { githubHeaders } from '../support/payloads';
import { ChaosStack, checkStatusLog } from './chaos-stack';
import { HealthEndpoint } from '../support/health-endpoint';

type Deployment = { _id: string; app: string; cause?: string; by?: string; workflowId: string; state?: string };

/**
 * The worker SIGKILLed during a release pipeline's stage 2, and again during its compensation
 * (docs/contract.md#release-pipelines): each app is promoted at most once and compensated at most
 * once per run, the receiver processes each package once, and the end is the same as without the
 * kills: a good release on every app; a failing one compensated, every app back on its release.
 */
describe('worker killed during a pipeline run and during its compensation', () => {
  const stack = new ChaosStack();
  const health = new HealthEndpoint();
  const repo = 'waves';
  const source = 'waves-src';
  const stages = [['waves-a'], ['waves-b1', 'waves-b2'], ['waves-c']];
  const all = stages.flat();

  beforeAll(async () => {
    await health.start();
    await stack.start({ processingDelayMs: 300 });
  }, 120_000);
  afterAll(async () => {
    await stack.stop();
    await health.stop();
  });

  const auth = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.gatewayUrl()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: auth },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json().catch(() => undefined)) as any };
  };
  const push = (sha: string, delivery: string, ref: string, before?: string) =>
    fetch(`${stack.gatewayUrl()}/1/deploy`, {
      method: 'POST',
      headers: { ...githubHeaders('push', delivery), 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify(githubPush({ repo, sha, ref, before })),
    });
  const db = () => stack.db.db('chaos');
  const until = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 180_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const liveCommit = async (app: string) =>
    ((await api('GET', `/1/apps/admin/${app}/releases`)).json as Array<{ live: boolean; commit: string }>).find((r) => r.live)?.commit;
  const run = async (id: string) => (await api('GET', `/1/pipelines/admin/${repo}/runs/${id}`)).json;
  const killAndRestart = async () => {
    stack.killWorker();
    await new Promise((r) => setTimeout(r, 300));
    stack.restartWorker();
  };
  const deploymentsOf = (filter: object) => db().collection<Deployment>('deployments').find(filter).toArray();
  const onDisk = (app: string) => readFileSync(join(stack.dir, 'deployed', app, 'index.js'), 'utf8');

  it('promotes and compensates each app at most once; the end is as without the kills', async () => {
    for (const app of [source, ...all]) {
      const healthCheck =
        app === 'waves-b2' ? { url: health.url, interval: '1s', timeout: '1s', bake: '3s', failureThreshold: 2 } : undefined;
      const body = {
        repository: `octo-org/${repo}`,
        retain: true,
        ...(app === source ? {} : { deployOn: { branch: 'release' } }),
        ...(healthCheck ? { healthCheck } : {}),
      };
      expect((await api('PUT', `/1/apps/admin/${app}`, body)).status).toBe(200);
    }
    const old = await stack.commit(repo);
    expect((await push(old, 'old', 'refs/heads/release')).status).toBe(202);
    for (const app of all) await until(async () => (await liveCommit(app)) === old);
    const good = await stack.commit(repo, old);
    expect((await push(good, 'good', 'refs/heads/main')).status).toBe(202);
    await until(async () => (await liveCommit(source)) === good);
    expect((await api('PUT', `/1/pipelines/admin/${repo}`, { source, stages: stages.map((apps) => ({ apps })) })).status).toBe(200);

    // A good release, the worker killed while stage 2 deploys.
    const first = (await api('POST', `/1/pipelines/admin/${repo}/runs`, {})).json;
    await until(async () => (await run(first.id)).stage === 1);
    await killAndRestart();
    await until(async () => ['succeeded', 'failed'].includes((await run(first.id)).state));
    expect((await run(first.id)).state).toBe('succeeded');
    for (const app of all) {
      expect([app, await liveCommit(app)]).toEqual([app, good]);
      expect([app, onDisk(app)]).toEqual([app, `// ${good}\n`]);
      expect([app, (await deploymentsOf({ app, cause: 'pipeline' })).length]).toEqual([app, 1]);
    }

    // A release whose health check fails in stage 2: killed during stage 2, and during the compensation.
    const bad = await stack.commit(repo, good);
    expect((await push(bad, 'bad', 'refs/heads/main', good)).status).toBe(202);
    await until(async () => (await liveCommit(source)) === bad);
    health.status = 500;
    const second = (await api('POST', `/1/pipelines/admin/${repo}/runs`, {})).json;
    await until(async () => (await run(second.id)).stage === 1);
    await killAndRestart();
    await until(async () => (await run(second.id)).state === 'compensating');
    await killAndRestart();
    await until(async () => ['succeeded', 'failed'].includes((await run(second.id)).state));
    const report = await run(second.id);
    expect(report.state).toBe('failed');

    const byApp = Object.fromEntries(
      report.stages.flatMap((s: { apps: Array<{ app: string }> }) => s.apps).map((a: { app: string }) => [a.app, a]),
    );
    for (const app of all) {
      // On disk and in the releases: every app on the good release again; stage 3 never touched.
      expect([app, await liveCommit(app)]).toEqual([app, good]);
      expect([app, onDisk(app)]).toEqual([app, `// ${good}\n`]);
      const promotions = await deploymentsOf({ app, cause: 'pipeline' });
      const compensations = await deploymentsOf({ app, cause: 'rollback', by: `pipeline:${repo}` });
      expect([app, promotions.length, compensations.length]).toEqual([
        app,
        app === 'waves-c' ? 1 : 2,
        ['waves-a', 'waves-b1'].includes(app) ? 1 : 0,
      ]);
      for (const deployment of [...promotions, ...compensations]) {
        // At most once at the receiver (an ACTIVATE is not a package the receiver processes again).
        expect([deployment._id, (stack.processed.get(deployment._id) ?? 0) <= 1]).toEqual([deployment._id, true]);
        expect([deployment._id, checkStatusLog(await stack.statusEntries(deployment._id))]).toEqual([deployment._id, null]);
      }
    }
    expect(byApp['waves-a']).toMatchObject({ state: 'compensated', before: { commit: good } });
    expect(byApp['waves-b1']).toMatchObject({ state: 'compensated', before: { commit: good } });
    expect(byApp['waves-b2']).toMatchObject({
      state: 'compensated',
      error: { code: 'deploy:health:failed' },
      compensation: { automatic: true },
    });
    expect(byApp['waves-c']).toMatchObject({ state: 'untouched' });
    expect(await deploymentsOf({ app: 'waves-b2', cause: 'auto-rollback' })).toHaveLength(1);
  });
});
