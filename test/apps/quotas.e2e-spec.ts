import { PipelineFixture } from '../pipeline/pipeline-fixture';

const ALICE = { username: 'alice', password: 'alice-password-quotas' };
const BOB = { username: 'bob', password: 'bob-password-quotas' };

/**
 * Per-user caps (docs/reliability.md#tenant-isolation-review), set low: apps per user (403
 * apps:too_many), live API tokens per user (403 tokens:too_many), explicit deployments per app
 * and minute (429 apps:too_many_deploys). The releases are made by the real pipeline; the worker
 * is then closed, so accepted actions queue their workflows instead of deploying each.
 */
describe('per-user quotas', () => {
  let f: PipelineFixture;
  const apps: string[] = [];

  beforeAll(async () => {
    f = await PipelineFixture.start({ APPS_MAX_PER_USER: '3', TOKENS_MAX_PER_USER: '2', DEPLOYS_PER_APP_PER_MINUTE: '2' });
    for (const user of [ALICE, BOB]) expect((await f.harness.request('POST', '/1/users', { body: user })).status).toBe(201);
    for (let i = 0; i < 2; i += 1) {
      const { repo, sha } = await f.commit();
      await f.configure(repo);
      const pushed = await f.push(repo, sha);
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      apps.push(repo);
    }
    await f.harness.worker!.close();
    f.harness.worker = undefined;
  });
  afterAll(() => f?.stop());

  const put = (user: typeof ALICE, name: string, branch = 'main') =>
    f.harness.request('PUT', `/1/apps/${user.username}/${name}`, { auth: user, body: { repository: `octo-org/${name}`, branch } });

  it('caps the apps of a user; changing an app is not creating one, and other users are not held', async () => {
    for (const name of ['a1', 'a2', 'a3']) expect((await put(ALICE, name)).status).toBe(200);
    const refused = await put(ALICE, 'a4');
    expect(refused).toMatchObject({
      status: 403,
      json: { error: 'apps:too_many', message: expect.stringContaining('APPS_MAX_PER_USER is 3') },
    });
    expect(await f.harness.db.collection('apps').countDocuments({ user: ALICE.username })).toBe(3);
    expect((await put(ALICE, 'a2', 'release')).status).toBe(200);
    expect((await put(BOB, 'b1')).status).toBe(200);
  });

  it('caps the live API tokens of a user; a revoked one frees its place', async () => {
    const create = (name: string) => f.harness.request('POST', `/1/users/alice/tokens`, { auth: ALICE, body: { name } });
    const first = await create('one');
    expect(first.status).toBe(201);
    expect((await create('two')).status).toBe(201);
    const refused = await create('three');
    expect(refused).toMatchObject({
      status: 403,
      json: { error: 'tokens:too_many', message: expect.stringContaining('TOKENS_MAX_PER_USER is 2') },
    });
    expect(await f.harness.db.collection('api_tokens').countDocuments({ user: ALICE.username, name: 'three' })).toBe(0);
    expect((await f.harness.request('POST', '/1/users/bob/tokens', { auth: BOB, body: { name: 'bob' } })).status).toBe(201);
    expect((await f.harness.request('DELETE', `/1/users/alice/tokens/${first.json.id}`, { auth: ALICE })).status).toBeLessThan(300);
    expect((await create('three')).status).toBe(201);
  });

  it('limits explicit deployments per app and minute (redeploy, rollback, env with deploy); other apps are not held', async () => {
    const [busy, other] = apps;
    const action = (app: string, what: string, body?: object) => f.harness.request('POST', `/1/apps/admin/${app}/${what}`, { body });
    expect((await action(busy, 'redeploy')).status).toBe(202);
    expect((await action(busy, 'redeploy')).status).toBe(202);
    const refused = await action(busy, 'redeploy');
    expect(refused).toMatchObject({
      status: 429,
      json: { error: 'apps:too_many_deploys', message: expect.stringContaining('DEPLOYS_PER_APP_PER_MINUTE is 2') },
    });
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(await action(busy, 'rollback', { release: 1 })).toMatchObject({ status: 429, json: { error: 'apps:too_many_deploys' } });
    const before = await f.harness.db.collection('apps').findOne({ user: 'admin', name: busy });
    const env = await f.harness.request('PATCH', `/1/apps/admin/${busy}/env`, { body: { set: { A: '1' }, deploy: true } });
    expect(env).toMatchObject({ status: 429, json: { error: 'apps:too_many_deploys' } });
    expect((await f.harness.db.collection('apps').findOne({ user: 'admin', name: busy }))?.revision).toBe(before?.revision);
    expect(await f.harness.db.collection('deployments').countDocuments({ app: busy, cause: { $exists: true } })).toBe(2);
    expect((await action(other, 'redeploy')).status).toBe(202);

    // A minute later (the records aged in MongoDB) the app may be deployed again.
    const aged = new Date(Date.now() - 61_000);
    await f.harness.db.collection('deployments').updateMany({ app: busy, cause: { $exists: true } }, { $set: { createdAt: aged } });
    expect((await action(busy, 'redeploy')).status).toBe(202);
  });
});
