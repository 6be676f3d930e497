import fc from 'fast-check';
import { APP_ROLES, AppRole } from '../../libs/apps';
import { AuthService } from '../../libs/auth';
import { NewStatusEntry, StatusEntry, StatusRepository } from '../../libs/status';
import { entry, NdjsonFeed } from '../status/feed-client';
import { ADMIN, Harness } from '../support/harness';

type Credentials = { username: string; password: string };
/** Who calls: no role on the app, one of the roles, its owner, a platform admin. */
type Who = 'none' | AppRole | 'owner' | 'platformAdmin';
const WHO: Who[] = ['none', ...APP_ROLES, 'owner', 'platformAdmin'];

const password = (user: string) => `${user}-password-1`;
const as = (username: string): Credentials => ({ username, password: password(username) });
const ALICE = as('alice');
/** One user per role on alice's app, and mallory with none. */
const MEMBER: Record<AppRole | 'none', Credentials> = {
  none: as('mallory'),
  viewer: as('vic'),
  deployer: as('dee'),
  approver: as('abe'),
  admin: as('ada'),
};
const callerOf = (who: Who): Credentials => (who === 'owner' ? ALICE : who === 'platformAdmin' ? ADMIN : MEMBER[who]);

/**
 * One endpoint of the app: the role it needs (`list`: a list of the owner's apps, which a user
 * with no role on any is refused as before, 401 `mw:auth:not_you`), the code it answers someone
 * with no role (as if absent), and a request that changes nothing when let through (an invalid
 * body, an absent subscription…): the answer then is the endpoint's own, never the gate's.
 */
interface Endpoint {
  method: string;
  path: string;
  needs: AppRole | 'list';
  absent?: string;
  body?: object;
  stream?: boolean;
  /** Starts work when let through (an undeployment): probed last, never by the property. */
  acts?: boolean;
}

const DEPLOYMENT = 'dep_roles_000000000000000001';
const ENTRY = `${DEPLOYMENT}:00001`;
const APP = '/1/apps/alice/app';
const ENDPOINTS: Endpoint[] = [
  { method: 'GET', path: APP, needs: 'viewer' },
  { method: 'GET', path: `${APP}/releases`, needs: 'viewer' },
  { method: 'GET', path: `${APP}/collaborators`, needs: 'viewer' },
  { method: 'GET', path: '/1/status/alice/webhooks/app', needs: 'viewer' },
  { method: 'GET', path: `/1/deployments/${DEPLOYMENT}`, needs: 'viewer', absent: 'deployments:not_found' },
  { method: 'GET', path: '/1/status/alice/webhooks', needs: 'list' },
  { method: 'GET', path: '/1/status/alice/changes', needs: 'list', stream: true },
  { method: 'GET', path: `/1/status/alice/changes/${ENTRY}`, needs: 'list' },
  { method: 'GET', path: '/1/users/alice/deployments?app=app', needs: 'list' },
  { method: 'POST', path: `${APP}/rollback`, needs: 'deployer', body: { release: 'latest' } },
  { method: 'POST', path: `${APP}/redeploy`, needs: 'deployer' },
  { method: 'POST', path: `${APP}/promote`, needs: 'deployer', body: { to: 7 } },
  { method: 'POST', path: `${APP}/unlock`, needs: 'deployer' },
  { method: 'POST', path: `/1/deployments/${DEPLOYMENT}/retry`, needs: 'deployer', absent: 'deployments:not_found' },
  { method: 'POST', path: `/1/deployments/${DEPLOYMENT}/cancel`, needs: 'deployer', absent: 'deployments:not_found' },
  { method: 'PUT', path: APP, needs: 'admin', body: { repository: 7 } },
  { method: 'PATCH', path: `${APP}/env`, needs: 'admin', body: { set: 7 } },
  { method: 'PUT', path: `${APP}/collaborators/zed`, needs: 'admin', body: { role: 'owner' } },
  { method: 'DELETE', path: `${APP}/collaborators/zed`, needs: 'admin' },
  { method: 'POST', path: `${APP}/notifications`, needs: 'admin', body: { url: 7 } },
  { method: 'GET', path: `${APP}/notifications`, needs: 'admin' },
  { method: 'POST', path: `${APP}/notifications/none/enable`, needs: 'admin' },
  { method: 'DELETE', path: `${APP}/notifications/none`, needs: 'admin' },
  { method: 'GET', path: `${APP}/deliveries`, needs: 'admin' },
  { method: 'POST', path: `${APP}/deliveries/none/redeliver`, needs: 'admin' },
  { method: 'POST', path: `${APP}/undeploy`, needs: 'admin', acts: true },
  { method: 'DELETE', path: APP, needs: 'admin', acts: true },
];

/** What the table says `who` gets: let through, 403 `auth:forbidden`, or refused as if absent. */
function expected(endpoint: Endpoint, who: Who): 'through' | [number, string] {
  if (who === 'owner' || who === 'platformAdmin') return 'through';
  if (endpoint.needs === 'list') return who === 'none' ? [401, 'mw:auth:not_you'] : 'through';
  if (who === 'none') return [404, endpoint.absent ?? 'apps:not_found'];
  return APP_ROLES.indexOf(who) >= APP_ROLES.indexOf(endpoint.needs) ? 'through' : [403, 'auth:forbidden'];
}

describe('collaborators: roles × endpoints against the gateway (docs/contract.md#collaborators)', () => {
  let harness: Harness;
  let status: { append(entry: NewStatusEntry): Promise<StatusEntry> };
  const feeds: NdjsonFeed[] = [];

  const call = (who: Credentials, method: string, path: string, body?: object) => harness.request(method, path, { auth: who, body });
  const setRole = async (user: string, role: AppRole | null) => {
    const answer = role
      ? await call(ALICE, 'PUT', `${APP}/collaborators/${user}`, { role })
      : await call(ALICE, 'DELETE', `${APP}/collaborators/${user}`);
    expect([200, 204, 404]).toContain(answer.status);
  };

  /** The answer to `endpoint` for `caller`: status and error code (none when let through with success). */
  const probe = async (endpoint: Endpoint, caller: Credentials): Promise<[number, string | undefined]> => {
    const headers: Record<string, string> = {
      authorization: `Basic ${Buffer.from(`${caller.username}:${caller.password}`).toString('base64')}`,
    };
    if (endpoint.body) headers['content-type'] = 'application/json';
    const abort = new AbortController();
    const body = endpoint.body && JSON.stringify(endpoint.body);
    const response = await fetch(`${harness.baseUrl}${endpoint.path}`, { method: endpoint.method, headers, body, signal: abort.signal });
    if (endpoint.stream && response.status === 200) {
      abort.abort();
      return [200, undefined];
    }
    const text = await response.text();
    return [response.status, text.startsWith('{') ? JSON.parse(text).error : undefined];
  };

  /** Whether an answer is the gate's refusal (absent, forbidden, not you) rather than the endpoint's own. */
  const refusedBy = (endpoint: Endpoint, [status, error]: [number, string | undefined]): [number, string] | 'through' => {
    const gate = [endpoint.absent ?? 'apps:not_found', 'auth:forbidden', 'mw:auth:not_you'];
    return status >= 400 && gate.includes(error ?? '') ? [status, error!] : 'through';
  };

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
    const auth = harness.gateway!.get(AuthService);
    for (const user of ['alice', 'mallory', 'vic', 'dee', 'abe', 'ada', 'carol', 'zed']) await auth.createUser(user, password(user));
    const repository = harness.gateway!.get(StatusRepository);
    status = { append: async (next) => (await repository.append(next)).entry };
    expect((await call(ALICE, 'PUT', APP, { repository: 'octo-org/app' })).status).toBe(200);
    expect((await call(ALICE, 'PUT', '/1/apps/alice/private', { repository: 'octo-org/private' })).status).toBe(200);
    for (const role of APP_ROLES) await setRole(MEMBER[role].username, role);
    await harness.db.collection('deployments').insertOne({
      _id: DEPLOYMENT as never,
      workflowId: `deploy-${DEPLOYMENT}`,
      user: 'alice',
      repository: 'octo-org/app',
      commit: 'octo-org/app/0123456789abcdef0123456789abcdef01234567',
      app: 'app',
      provider: 'api',
      uuid: 'roles',
      createdAt: new Date(),
      state: 'succeeded',
      endedAt: new Date(),
    });
    await status.append(entry('alice', { _id: ENTRY, deployment: DEPLOYMENT, app_name: 'app' }));
  });
  afterEach(() => feeds.splice(0).forEach((feed) => feed.close()));
  afterAll(() => harness.stop());

  describe('every role on every endpoint answers as the table says', () => {
    // The endpoints that start work when let through go last: they leave an undeployment queued.
    for (const endpoint of [...ENDPOINTS.filter((e) => !e.acts), ...ENDPOINTS.filter((e) => e.acts)]) {
      it(`${endpoint.method} ${endpoint.path}`, async () => {
        const actual: Partial<Record<Who, unknown>> = {};
        const wanted: Partial<Record<Who, unknown>> = {};
        for (const who of WHO) {
          actual[who] = refusedBy(endpoint, await probe(endpoint, callerOf(who)));
          wanted[who] = expected(endpoint, who);
        }
        expect(actual).toEqual(wanted);
      });
    }
  });

  it('property: after any sequence of role changes, a user gets what their last role allows on every endpoint', async () => {
    const zed = as('zed');
    const safe = ENDPOINTS.filter((e) => !e.acts && !e.path.includes('/collaborators/zed'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.constantFrom(...APP_ROLES), { nil: null }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...safe),
        async (roles, endpoint) => {
          for (const role of roles) await setRole('zed', role);
          const last = roles[roles.length - 1] ?? 'none';
          expect(refusedBy(endpoint, await probe(endpoint, zed))).toEqual(expected(endpoint, last));
        },
      ),
      { numRuns: 40 },
    );
    await setRole('zed', null);
  });

  it('mallory (no role) gets 404 for everything of the app, exactly as for an app that does not exist', async () => {
    const mallory = MEMBER.none;
    for (const endpoint of ENDPOINTS.filter((e) => e.needs !== 'list')) {
      const [status, error] = await probe(endpoint, mallory);
      const path = endpoint.path.replace(/\/alice\/(webhooks\/)?app\b/, '/alice/$1no-such-app').replace(DEPLOYMENT, 'dep_nope');
      expect(path).not.toBe(endpoint.path);
      const absent = await probe({ ...endpoint, path }, mallory);
      expect({ path: endpoint.path, answer: [status, error] }).toEqual({
        path: endpoint.path,
        answer: [404, endpoint.absent ?? 'apps:not_found'],
      });
      expect(absent).toEqual([status, error]);
    }
    const apps = await call(mallory, 'GET', '/1/apps');
    expect(apps.json).toEqual({ apps: [] });
  });

  it('carol (viewer) reads the app, its deployment and log, and gets 403 auth:forbidden on rollback', async () => {
    const carol = as('carol');
    await setRole('carol', 'viewer');
    expect((await call(carol, 'GET', APP)).json).toMatchObject({ user: 'alice', name: 'app' });
    expect((await call(carol, 'GET', `/1/deployments/${DEPLOYMENT}`)).json).toMatchObject({ id: DEPLOYMENT, app: 'app' });
    expect((await call(carol, 'GET', '/1/status/alice/webhooks/app')).json.map((e: { id: string }) => e.id)).toContain(ENTRY);
    const rollback = await call(carol, 'POST', `${APP}/rollback`, {});
    expect([rollback.status, rollback.json.error]).toEqual([403, 'auth:forbidden']);
    expect(rollback.json.message).toMatch(/viewer.*deployer/);
    const cancel = await call(carol, 'POST', `/1/deployments/${DEPLOYMENT}/cancel`);
    expect([cancel.status, cancel.json.error]).toEqual([403, 'auth:forbidden']);
    await setRole('carol', null);
    const after = await call(carol, 'GET', APP);
    expect([after.status, after.json.error]).toEqual([404, 'apps:not_found']);
  });

  it("a collaborator's lists hold the apps they may read and nothing of the others", async () => {
    const vic = MEMBER.viewer;
    await status.append(entry('alice', { deployment: 'dep_private', app_name: 'private' }));
    const privateEntry = await status.append(entry('alice', { deployment: 'dep_private', app_name: 'private' }));
    const log = await call(vic, 'GET', '/1/status/alice/webhooks?limit=100');
    expect(log.status).toBe(200);
    expect(new Set(log.json.map((e: { app_name: string }) => e.app_name))).toEqual(new Set(['app']));
    const owners = await call(ALICE, 'GET', '/1/status/alice/webhooks?limit=100');
    expect(new Set(owners.json.map((e: { app_name: string }) => e.app_name))).toEqual(new Set(['app', 'private']));
    const hidden = await call(vic, 'GET', `/1/status/alice/changes/${privateEntry._id}`);
    expect([hidden.status, hidden.json.error]).toEqual([404, 'status:db:not_found']);
    const privateDeployments = await call(vic, 'GET', '/1/users/alice/deployments?app=private');
    expect([privateDeployments.status, privateDeployments.json.error]).toEqual([404, 'apps:not_found']);
    const deployments = await call(vic, 'GET', '/1/users/alice/deployments');
    expect(deployments.json.map((d: { id: string }) => d.id)).toContain(DEPLOYMENT);
    expect(new Set(deployments.json.map((d: { app: string }) => d.app))).toEqual(new Set(['app']));
    expect((await call(vic, 'GET', '/1/apps')).json).toEqual({ apps: [{ user: 'alice', name: 'app', role: 'viewer' }] });
    const mine = await call(ALICE, 'GET', '/1/apps');
    expect(mine.json.apps).toEqual([
      { user: 'alice', name: 'app', role: 'admin' },
      { user: 'alice', name: 'private', role: 'admin' },
    ]);
  });

  it("a collaborator's feed carries the entries of the apps they may read only", async () => {
    const feed = await NdjsonFeed.open(`${harness.baseUrl}/1/status/alice/changes`, MEMBER.viewer);
    feeds.push(feed);
    expect(feed.status).toBe(200);
    await status.append(entry('alice', { deployment: 'dep_feed', app_name: 'private' }));
    const shown = await status.append(entry('alice', { deployment: 'dep_feed', app_name: 'app' }));
    await feed.waitFor((f) => f.lines.length >= 1);
    const resumed = await NdjsonFeed.open(`${harness.baseUrl}/1/status/alice/changes?since=0`, MEMBER.viewer);
    feeds.push(resumed);
    await resumed.waitFor((f) => f.lines.some((line) => String(line.id).endsWith(shown._id)));
    for (const line of [...feed.lines, ...resumed.lines]) expect(line.app_name).toBe('app');
  });

  describe('managing collaborators', () => {
    it('refuses an unknown user, the owner, a bad role; removing a non-collaborator is 404', async () => {
      const cases: Array<[string, object, number, string]> = [
        ['nobody-here', { role: 'viewer' }, 400, 'apps:collaborators:unknown_user'],
        ['alice', { role: 'viewer' }, 400, 'apps:collaborators:owner'],
        ['zed', { role: 'owner' }, 400, 'apps:collaborators:bad_role'],
        ['zed', {}, 400, 'apps:collaborators:bad_role'],
      ];
      for (const [user, body, status, error] of cases) {
        const answer = await call(ALICE, 'PUT', `${APP}/collaborators/${user}`, body);
        expect([user, answer.status, answer.json.error]).toEqual([user, status, error]);
      }
      const remove = await call(ALICE, 'DELETE', `${APP}/collaborators/carol`);
      expect([remove.status, remove.json.error]).toEqual([404, 'apps:collaborators:not_found']);
      const missing = await call(ALICE, 'GET', '/1/apps/alice/no-such-app/collaborators');
      expect([missing.status, missing.json.error]).toEqual([404, 'apps:not_found']);
    });

    it('concurrent changes never lose each other, are audited, and survive a PUT of the app', async () => {
      const users = Array.from({ length: 8 }, (_, i) => `crowd${i}`);
      await Promise.all(users.map((user) => harness.gateway!.get(AuthService).createUser(user, password(user))));
      const answers = await Promise.all([
        ...users.map((user, i) => call(MEMBER.admin, 'PUT', `${APP}/collaborators/${user}`, { role: APP_ROLES[i % 4] })),
        call(ALICE, 'PUT', APP, { repository: 'octo-org/app', branch: 'main' }),
      ]);
      expect(answers.map((a) => a.status)).toEqual([...users.map(() => 200), 200]);
      const list = await call(MEMBER.viewer, 'GET', `${APP}/collaborators`);
      expect(list.json.max).toBe(50);
      const byUser = new Map(list.json.collaborators.map((c: { user: string }) => [c.user, c]));
      users.forEach((user, i) =>
        expect(byUser.get(user)).toMatchObject({ user, role: APP_ROLES[i % 4], by: 'ada', at: expect.any(String) }),
      );
      for (const role of APP_ROLES) expect(byUser.get(MEMBER[role].username)).toMatchObject({ role });
      const added = list.json.changes.filter((c: { action: string; by: string }) => c.action === 'added' && c.by === 'ada');
      expect(added.map((c: { user: string }) => c.user).sort()).toEqual([...users].sort());
      expect((await call(ALICE, 'GET', APP)).json.branch).toBe('main');
      await Promise.all(users.map((user) => call(ALICE, 'DELETE', `${APP}/collaborators/${user}`)));
      const after = await call(ALICE, 'GET', `${APP}/collaborators`);
      expect(after.json.collaborators.map((c: { user: string }) => c.user)).not.toContain('crowd0');
      expect(after.json.changes.at(-1)).toMatchObject({ action: 'removed', by: 'alice', at: expect.any(String) });
    });

    it('an app has at most 50 collaborators (apps:collaborators:too_many); changing a role is not adding one', async () => {
      await harness.db.collection('users').insertMany(
        Array.from({ length: 50 }, (_, i) => ({
          _id: `many${i}` as never,
          usernameKey: `many${i}`,
          passwordHash: 'x',
          createdAt: new Date(),
        })),
      );
      expect((await call(ALICE, 'PUT', '/1/apps/alice/crowded', { repository: 'octo-org/crowded' })).status).toBe(200);
      for (let i = 0; i < 50; i += 1)
        expect((await call(ALICE, 'PUT', `/1/apps/alice/crowded/collaborators/many${i}`, { role: 'viewer' })).status).toBe(200);
      const over = await call(ALICE, 'PUT', '/1/apps/alice/crowded/collaborators/zed', { role: 'viewer' });
      expect([over.status, over.json.error]).toEqual([403, 'apps:collaborators:too_many']);
      const change = await call(ALICE, 'PUT', '/1/apps/alice/crowded/collaborators/many0', { role: 'deployer' });
      expect([change.status, change.json.role]).toEqual([200, 'deployer']);
    });
  });
});
