import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN } from '../support/harness';
import { ChaosStack, checkStatusLog } from './chaos-stack';
import { HealthEndpoint } from '../support/health-endpoint';

/**
 * The worker SIGKILLed during a health-checked bake and again during the automatic rollback it
 * starts (docs/contract.md#verified-releases): exactly one rollback deployment, one lock, the
 * previous release live again, the receiver processing each package once, and every status log
 * complete and gap-free.
 */
describe('worker killed during a bake and during the automatic rollback', () => {
  const stack = new ChaosStack();
  const health = new HealthEndpoint();
  beforeAll(async () => {
    await health.start();
    await stack.start({ processingDelayMs: 300 });
  }, 120_000);
  afterAll(async () => {
    await stack.stop();
    await health.stop();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.gatewayUrl()}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json().catch(() => undefined)) as any };
  };
  const db = () => (stack as unknown as { db: import('mongodb').MongoClient }).db.db('chaos');
  const stateOf = async (id: string) => (await db().collection<{ _id: string; state?: string }>('deployments').findOne({ _id: id }))?.state;
  const until = async (check: () => Promise<boolean>) => {
    const deadline = Date.now() + 120_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const killAndRestart = async () => {
    stack.killWorker();
    await new Promise((r) => setTimeout(r, 300));
    stack.restartWorker();
  };

  it('starts exactly one rollback and one lock, the log of each deployment complete', async () => {
    const app = 'baked';
    const put = await api('PUT', `/1/apps/admin/${app}`, {
      repository: `octo-org/${app}`,
      healthCheck: { url: health.url, interval: '1s', timeout: '1s', bake: '8s', failureThreshold: 3 },
    });
    expect(put.status).toBe(200);

    // C1: a bake that passes, the worker killed in the middle of it.
    const c1 = await stack.commit(app);
    const first = await stack.push(app, c1, 'bake-1');
    await until(async () => (await stateOf(first.json.id)) === 'verifying');
    await killAndRestart();
    expect(await stack.outcome(first.json.workflowId)).toEqual({ state: 'succeeded' });

    // C2: the worker killed during its bake, the health URL then fails, the worker killed again
    // as soon as the rollback has locked the app.
    const c2 = await stack.commit(app, c1);
    const bad = await stack.push(app, c2, 'bake-2', 0, c1);
    await until(async () => (await stateOf(bad.json.id)) === 'verifying');
    await killAndRestart();
    health.status = 500;
    await until(
      async () =>
        (
          await db()
            .collection<{ _id: string; lock?: unknown }>('apps')
            .findOne({ _id: `admin/${app}` })
        )?.lock !== undefined,
    );
    await killAndRestart();
    const outcome = await stack.outcome(bad.json.workflowId);
    expect(outcome).toMatchObject({ state: 'failed', error: { code: 'deploy:health:failed' } });

    const rollbacks = await db()
      .collection<{ _id: string; workflowId: string }>('deployments')
      .find({ app, cause: 'auto-rollback' })
      .toArray();
    expect(rollbacks).toHaveLength(1);
    const [rollback] = rollbacks;
    await until(async () => (await stateOf(rollback._id)) === 'succeeded');
    const appNow = (await api('GET', `/1/apps/admin/${app}`)).json;
    expect(appNow.locked).toMatchObject({ release: 1, deployment: rollback._id, by: 'health-check' });
    const releases = (await api('GET', `/1/apps/admin/${app}/releases`)).json as Array<{ version: number; cause: string; live: boolean }>;
    expect(releases.map((r) => [r.version, r.cause, r.live])).toEqual([
      [2, 'auto-rollback', true],
      [1, 'push', false],
    ]);
    expect(readFileSync(join(stack.dir, 'deployed', app, 'index.js'), 'utf8')).toBe(`// ${c1}\n`);
    for (const id of [first.json.id, bad.json.id, rollback._id]) {
      expect([id, stack.processed.get(id)]).toEqual([id, 1]);
      expect([id, checkStatusLog(await stack.statusEntries(id))]).toEqual([id, null]);
    }
  });
});
