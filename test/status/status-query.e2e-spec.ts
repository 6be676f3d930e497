import { NewStatusEntry, StatusRepository } from '../../libs/status';
import { ADMIN, Harness } from '../support/harness';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-1' };
const CAROL = { username: 'carol', password: 'carol-password-1' };
const T0 = Date.parse('2024-05-01T12:00:00.000Z');

/** The status log's entry fields (docs/contract.md#the-status-log); `error` only on entries that carry one. */
const SPEC_FIELDS = ['id', 'uuid', 'user', 'app_name', 'deployment', 'status', 'step', 'provider', 'commit', 'ts'];

/** A user's status log over several apps: every second entry shares its ts with the one before. */
function log(user: string, apps: Record<string, number>): NewStatusEntry[] {
  const entries: NewStatusEntry[] = [];
  for (const [app, count] of Object.entries(apps)) {
    for (let i = 0; i < count; i += 1) {
      const n = entries.length;
      entries.push({
        _id: `dep_${user}_${app}:${String(i).padStart(3, '0')}`,
        uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        user,
        app_name: app,
        deployment: `dep_${user}_${app}`,
        status: 'ok',
        step: 'fetch',
        provider: 'github',
        commit: `octo-org/${app}/${'c'.repeat(40)}`,
        ts: new Date(T0 + Math.floor(n / 2) * 1000),
      });
    }
  }
  return entries;
}

/** Newest first; equal ts by id, descending (the product's tie-break). */
const newestFirst = (a: NewStatusEntry, b: NewStatusEntry) =>
  b.ts.getTime() - a.ts.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0);

/** A fixed shuffle, so the answer's order cannot come from the order of the writes. */
function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  let seed = 7;
  for (let i = copy.length - 1; i > 0; i -= 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

describe('status log query: GET /1/status/:user/webhooks[/:application]', () => {
  let harness: Harness;
  // Ties cross apps: shop's last entry and blog's first share a ts, and so on.
  const alice = log('alice', { shop: 56, blog: 40, api: 8 });
  const bob = log('bob', { shop: 4, tools: 3 });
  const ids = (entries: NewStatusEntry[]) => [...entries].sort(newestFirst).map((entry) => entry._id);
  const get = (path: string, auth: typeof ALICE | null = ALICE) => harness.request('GET', path, { auth });

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
    for (const user of [ALICE, BOB, CAROL]) expect((await harness.request('POST', '/1/users', { body: user })).status).toBe(201);
    const status = harness.gateway!.get(StatusRepository);
    for (const entry of shuffled([...alice, ...bob])) expect((await status.append(entry)).inserted).toBe(true);
  });
  afterAll(() => harness.stop());

  it('answers the newest 10 by default, newest first, equal timestamps in one repeatable order', async () => {
    const first = await get('/1/status/alice/webhooks');
    expect(first.status).toBe(200);
    expect(first.json.map((entry: { id: string }) => entry.id)).toEqual(ids(alice).slice(0, 10));
    const times = first.json.map((entry: { ts: string }) => Date.parse(entry.ts));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(times).size).toBe(5); // the page holds ties, and they came out in id order
    expect((await get('/1/status/alice/webhooks')).json).toEqual(first.json);
  });

  it('takes limit from 1 to 100', async () => {
    const max = await get('/1/status/alice/webhooks?limit=100');
    expect(max.json.map((entry: { id: string }) => entry.id)).toEqual(ids(alice).slice(0, 100));
    expect((await get('/1/status/alice/webhooks?limit=1')).json.map((entry: { id: string }) => entry.id)).toEqual(ids(alice).slice(0, 1));
    const over = await get('/1/status/alice/webhooks?limit=101');
    expect(over.status).toBe(400);
    expect(over.json).toEqual({
      error: 'request:invalid',
      message: 'limit must be an integer from 1 to 100.',
      uuid: over.headers.get('x-api-uuid'),
    });
  });

  it('pages with skip: consecutive pages are disjoint and together are the whole log, in order', async () => {
    const pages: string[][] = [];
    for (let skip = 0; ; skip += 7) {
      const page = await get(`/1/status/alice/webhooks?limit=7&skip=${skip}`);
      expect(page.status).toBe(200);
      if (page.json.length === 0) break;
      pages.push(page.json.map((entry: { id: string }) => entry.id));
    }
    expect(pages).toHaveLength(Math.ceil(alice.length / 7));
    expect(pages.at(-1)).toHaveLength(alice.length % 7);
    expect(pages.flat()).toEqual(ids(alice)); // every entry once, none of bob's
    expect((await get('/1/status/alice/webhooks?skip=1000000')).json).toEqual([]);
  });

  it('with :application, answers only that app’s entries of that user, paged the same way', async () => {
    for (const app of ['shop', 'blog', 'api']) {
      const answer = await get(`/1/status/alice/webhooks/${app}?limit=100`);
      expect(answer.json.map((entry: { id: string }) => entry.id)).toEqual(ids(alice.filter((entry) => entry.app_name === app)));
    }
    const shop = ids(alice.filter((entry) => entry.app_name === 'shop'));
    const page = await get('/1/status/alice/webhooks/shop?limit=5&skip=5');
    expect(page.json.map((entry: { id: string }) => entry.id)).toEqual(shop.slice(5, 10));
    expect((await get('/1/status/alice/webhooks/tools')).json).toEqual([]); // bob's app, not alice's
    expect((await get('/1/status/bob/webhooks/shop', BOB)).json.map((entry: { id: string }) => entry.id)).toEqual(
      ids(bob.filter((entry) => entry.app_name === 'shop')),
    );
  });

  it('shows each entry with exactly the spec’s fields: error only when there is one, no _id or cursor', async () => {
    const status = harness.gateway!.get(StatusRepository);
    const base = {
      user: 'carol',
      app_name: 'fields',
      deployment: 'dep_carol_fields',
      provider: 'travis',
      commit: `octo-org/fields/${'f'.repeat(40)}`,
    } as const;
    const ok = {
      ...base,
      _id: 'dep_carol_fields:001',
      uuid: '11111111-1111-4111-8111-111111111111',
      status: 'ok',
      step: 'resolve',
      ts: new Date(T0 - 2000),
    } as const;
    const failed = {
      ...base,
      _id: 'dep_carol_fields:002',
      uuid: '22222222-2222-4222-8222-222222222222',
      status: 'error',
      step: 'done',
      ts: new Date(T0 - 1000),
      error: { code: 'deploy:tar:unsafe_path', message: 'an entry leaves the root' },
    } as const;
    await status.append(ok);
    await status.append(failed);
    const answer = await get('/1/status/carol/webhooks', CAROL);
    expect(answer.json).toEqual([
      {
        id: failed._id,
        uuid: failed.uuid,
        user: 'carol',
        app_name: 'fields',
        deployment: base.deployment,
        status: 'error',
        step: 'done',
        provider: 'travis',
        commit: base.commit,
        error: failed.error,
        ts: failed.ts.toISOString(),
      },
      {
        id: ok._id,
        uuid: ok.uuid,
        user: 'carol',
        app_name: 'fields',
        deployment: base.deployment,
        status: 'ok',
        step: 'resolve',
        provider: 'travis',
        commit: base.commit,
        ts: ok.ts.toISOString(),
      },
    ]);
    expect(Object.keys(answer.json[1]).sort()).toEqual([...SPEC_FIELDS].sort());
    // Beyond the entry fields of docs/contract.md#the-status-log: the product also answers a step's `message` when the workflow wrote one.
    await status.append({ ...ok, _id: 'dep_carol_fields:003', ts: new Date(T0 - 500), message: 'read package.json' });
    expect((await get('/1/status/carol/webhooks/fields?limit=1', CAROL)).json[0]).toMatchObject({
      id: 'dep_carol_fields:003',
      message: 'read package.json',
    });
  });

  it('refuses another user’s log with mw:auth:not_you (one app of theirs: 404, docs/contract.md#collaborators); an admin may read it', async () => {
    for (const path of ['/1/status/bob/webhooks']) {
      const refused = await get(path, ALICE);
      expect(refused.status).toBe(401);
      expect(refused.json).toEqual({
        error: 'mw:auth:not_you',
        message: expect.stringContaining('alice'),
        uuid: refused.headers.get('x-api-uuid'),
      });
    }
    const oneApp = await get('/1/status/bob/webhooks/shop', ALICE);
    expect([oneApp.status, oneApp.json.error]).toEqual([404, 'apps:not_found']);
    const admin = await get('/1/status/bob/webhooks?limit=100', ADMIN);
    expect(admin.status).toBe(200);
    expect(admin.json.map((entry: { id: string }) => entry.id)).toEqual(ids(bob));
    expect((await get('/1/status/alice/webhooks', null)).json.error).toBe('mw:auth:unauthorized');
  });

  it('answers an empty log, not 404, for a user that does not exist (admin); others get mw:auth:not_you', async () => {
    const admin = await get('/1/status/nobody/webhooks', ADMIN);
    expect([admin.status, admin.json]).toEqual([200, []]);
    const alices = await get('/1/status/nobody/webhooks', ALICE);
    expect([alices.status, alices.json.error]).toEqual([401, 'mw:auth:not_you']);
  });

  it.each([
    ['limit', '-1'],
    ['limit', 'abc'],
    ['limit', '1e9'],
    ['limit', '0'],
    ['limit', '1.5'],
    ['limit', '1&limit=2'],
    ['skip', '-1'],
    ['skip', 'abc'],
    ['skip', '1e9'],
    ['skip', '1000001'],
    ['skip', '0x10'],
  ])('answers %s=%s with 400 request:invalid, never a 500', async (name, value) => {
    for (const path of ['/1/status/alice/webhooks', '/1/status/alice/webhooks/shop']) {
      const bad = await get(`${path}?${name}=${value}`);
      expect(bad.status).toBe(400);
      expect(bad.json).toEqual({
        error: 'request:invalid',
        message: expect.stringMatching(new RegExp(`^${name} must be an integer`)),
        uuid: bad.headers.get('x-api-uuid'),
      });
    }
  });
});
