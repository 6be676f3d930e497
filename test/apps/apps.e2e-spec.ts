import { AppsRepository } from '../../libs/apps';
import { ADMIN, Harness } from '../support/harness';

const ALICE = { username: 'alice', password: 'alice-password-1' };

describe('apps and what a request stores with its x-api-uuid', () => {
  let harness: Harness;
  const put = (app: string, body: object) => harness.request('PUT', `/1/apps/alice/${app}`, { auth: ALICE, body });
  const stored = (collection: string, id: string) => harness.db.collection(collection).findOne({ _id: id as never });

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
  });
  afterAll(() => harness.stop());

  it('stores a created user and API token with the creating request’s uuid, and shows it in neither', async () => {
    const user = await harness.request('POST', '/1/users', { body: ALICE });
    expect(user.status).toBe(201);
    expect(user.json).toEqual({ username: 'alice', admin: false });
    expect((await stored('users', 'alice'))?.uuid).toBe(user.headers.get('x-api-uuid'));
    expect(await stored('users', ADMIN.username)).not.toHaveProperty('uuid'); // bootstrapped at start-up, by no request

    const token = await harness.request('POST', '/1/users/alice/tokens', { auth: ALICE, body: { name: 'ci' } });
    expect(token.status).toBe(201);
    expect((await stored('api_tokens', token.json.id))?.uuid).toBe(token.headers.get('x-api-uuid'));
    expect(token.headers.get('x-api-uuid')).not.toBe(user.headers.get('x-api-uuid'));
    const list = await harness.request('GET', '/1/users/alice/tokens', { auth: ALICE });
    expect(Object.keys(list.json[0]).sort()).toEqual(['createdAt', 'id', 'name']);
  });

  it('stores an app with the uuid of the last request that wrote it: PUT, PUT again, PATCH …/env', async () => {
    const created = await put('shop', { repository: 'octo-org/shop' });
    expect(created.status).toBe(200);
    const first = await stored('apps', 'alice/shop');
    expect(first?.uuid).toBe(created.headers.get('x-api-uuid'));

    const updated = await put('shop', { repository: 'octo-org/shop', branch: 'release' });
    const second = await stored('apps', 'alice/shop');
    expect(second?.uuid).toBe(updated.headers.get('x-api-uuid'));
    expect(second?.uuid).not.toBe(first?.uuid);
    expect(second?.createdAt).toEqual(first?.createdAt);

    const patched = await harness.request('PATCH', '/1/apps/alice/shop/env', { auth: ALICE, body: { set: { A: '1' } } });
    expect(patched.status).toBe(200);
    expect((await stored('apps', 'alice/shop'))?.uuid).toBe(patched.headers.get('x-api-uuid'));
    expect(patched.json).not.toHaveProperty('uuid');
  });

  it('shows an app without the optional fields a PUT omitted (never null), and stores none of them', async () => {
    expect((await put('plain', { repository: 'octo-org/plain', target: { url: 'https://deploy.example.com/push' } })).status).toBe(200);
    const view = await harness.request('GET', '/1/apps/alice/plain', { auth: ALICE });
    expect(view.json).toEqual({
      user: 'alice',
      name: 'plain',
      repository: 'octo-org/plain',
      target: { url: 'https://deploy.example.com/push', hasPassword: false, archiveFormat: 'tar.gz' },
      hasWebhookSecret: false,
      envKeys: [],
      retain: false,
      ci: 'auto',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const record = await stored('apps', 'alice/plain');
    expect(Object.keys(record!).sort()).toEqual([
      '_id',
      'ci',
      'createdAt',
      'name',
      'repository',
      'repositoryKey',
      'retain',
      'revision',
      'sealedEnv',
      'target',
      'updatedAt',
      'user',
      'uuid',
    ]);
    expect(Object.keys(record!.target).sort()).toEqual(['archiveFormat', 'url']);
  });

  it('removes optional fields a later PUT omits or sends as null, keeping the secrets and the last deployment', async () => {
    const full = {
      repository: 'octo-org/full',
      branch: 'main',
      webhookSecret: 'hook-secret',
      target: {
        url: 'https://deploy.example.com/push',
        statusUrl: 'https://deploy.example.com/status/{{id}}',
        username: 'deployer',
        password: 'pw',
      },
    };
    expect((await put('full', full)).json).toMatchObject({
      branch: 'main',
      target: { statusUrl: full.target.statusUrl, username: 'deployer', hasPassword: true },
      hasWebhookSecret: true,
    });
    await harness.gateway!.get(AppsRepository).setLastDeployment('alice', 'full', 'dep_full_1');

    expect(
      (await put('full', { repository: 'octo-org/full', branch: null, target: { url: full.target.url, statusUrl: null } })).status,
    ).toBe(200);
    const view = (await harness.request('GET', '/1/apps/alice/full', { auth: ALICE })).json;
    expect(view).not.toHaveProperty('branch');
    expect(view.target).toEqual({ url: full.target.url, hasPassword: true, archiveFormat: 'tar.gz' }); // the password is kept, like the webhook secret
    expect(view).toMatchObject({ hasWebhookSecret: true, lastDeployment: 'dep_full_1' });
    const record = await stored('apps', 'alice/full');
    expect(record).not.toHaveProperty('branch');
    expect(Object.keys(record!.target).sort()).toEqual(['archiveFormat', 'sealedPassword', 'url']);
  });

  it('documents retain as the receiver keeping the previous release’s files', async () => {
    const doc = (await harness.request('GET', '/docs/json', { auth: null })).json;
    const retain = doc.components.schemas.AppDto.properties.retain;
    expect(retain).toMatchObject({ type: 'boolean', default: false });
    expect(retain.description).toMatch(/`true` tells the receiver to keep the previous release's files/);
    expect(retain.description).not.toMatch(/tarball/);
  });
});
