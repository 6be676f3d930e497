import fc from 'fast-check';
import { PipelineFixture } from '../pipeline/pipeline-fixture';
import { ADMIN } from '../support/harness';
import { Answer, expectSpecAnswer } from './http-fuzz';

/**
 * Hostile input (docs/reliability.md#hostile-input--in-npm-test) on the release surfaces (docs/contract.md#releases) over HTTP: the releases list,
 * rollback, redeploy, unlock and `PATCH …/env` (with `deploy`), by their owner, another user, wrong
 * and no credentials. Each answer is a success or a spec code (never `internal`, never a 5xx); an
 * env change that is refused changes nothing; and afterwards every deployment an action started
 * has its workflow, every lock names a rollback that exists, and the releases are untouched.
 *
 * The app's release is made by the real pipeline; the worker is then closed, so the many
 * accepted actions queue their workflows instead of deploying each (the line's ordering under
 * load is the chaos and soak suites' business, not this one's).
 */
const BOB = { username: 'bob', password: 'bob-password-for-fuzz' };
const CODES = /^(request:[a-z_0-9]+|apps:[a-z_:]+|mw:auth:[a-z_]+)$/;

describe('release surfaces under hostile input (property-based, over HTTP)', () => {
  let f: PipelineFixture;
  let app: string;
  /** The app's stored env and revision: what a refused env change must leave as it was. */
  const env = async (name: string) => {
    const stored = await f.harness.db.collection('apps').findOne({ user: 'admin', name });
    return stored && { sealedEnv: stored.sealedEnv, revision: stored.revision };
  };

  beforeAll(async () => {
    f = await PipelineFixture.start({ GATEWAY_BODY_LIMIT_BYTES: '65536' });
    expect((await f.harness.request('POST', '/1/users', { body: BOB })).status).toBe(201);
    const first = await f.commit();
    app = first.repo;
    await f.configure(app);
    await f.configure('no-releases'); // an app with no release: rollback, redeploy and env-with-deploy are refused
    const pushed = await f.push(app, first.sha);
    expect(pushed.status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    expect((await f.harness.request('GET', `/1/apps/admin/${app}/releases`)).json).toHaveLength(1);
    await f.harness.worker!.close();
    f.harness.worker = undefined;
  });
  afterAll(() => f?.stop());

  const send = async (
    method: string,
    path: string,
    auth: 'admin' | 'bob' | 'wrong' | 'none',
    body: string | undefined,
    contentType: string,
  ): Promise<Answer> => {
    const credentials =
      auth === 'admin' ? ADMIN : auth === 'bob' ? BOB : auth === 'wrong' ? { username: 'admin', password: 'wrong-password' } : null;
    const headers: Record<string, string> = { 'content-type': contentType };
    if (credentials) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    const response = await fetch(`${f.harness.baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(15_000) });
    return { status: response.status, uuid: response.headers.get('x-api-uuid'), text: await response.text() };
  };

  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(0, 1, 2, 3, -1, 1.5, 2 ** 53, 1e308, '1', 'v1', '', null, true, [], {}, '__proto__', 'x'.repeat(40_000)),
  );
  const envName = fc.oneof(
    fc.constantFrom('API_URL', 'A', '_X', 'a-b', '', '1A', '__proto__', 'constructor', 'X'.repeat(300)),
    fc.string({ maxLength: 10 }),
  );
  const envSet = fc.oneof(
    fc.dictionary(envName, fc.oneof(fc.string({ maxLength: 20 }), anyValue), { maxKeys: 5 }),
    fc.constant(Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`V${i}`, 'x']))),
    anyValue,
  );
  const envBody = fc.record(
    {
      set: envSet,
      unset: fc.oneof(fc.array(fc.oneof(envName, anyValue), { maxLength: 4 }), anyValue),
      deploy: fc.oneof(fc.boolean(), anyValue),
    },
    { requiredKeys: [] },
  );
  const json = (arbitrary: fc.Arbitrary<unknown>) => arbitrary.map((value) => JSON.stringify(value));
  const rawBody = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('', '{', 'null', '[]', '"x"', '{"release":', '{"__proto__":{"release":1}}'),
    fc.string({ maxLength: 30 }),
  );
  const queryValue = fc.oneof(
    fc.constantFrom('', '0', '1', '10', '100', '101', '-1', '1.5', '1e2', '0x10', ' 1', '9'.repeat(30), 'a', '%00', '1&limit=2'),
    fc.string({ maxLength: 6 }).map(encodeURIComponent),
  );
  // Mostly refused at the edge (other users, no credentials, other apps), as hostile traffic is; enough reaches the services.
  const who = fc.constantFrom<'admin' | 'bob' | 'wrong' | 'none'>('admin', 'admin', 'admin', 'bob', 'wrong', 'none');
  const appName = fc.oneof(
    { weight: 3, arbitrary: fc.constant('<app>') },
    { weight: 1, arbitrary: fc.constantFrom('no-releases', 'missing', '..', '%2e%2e', 'a%2Fb', '%00', 'x'.repeat(120)) },
  );
  const owner = fc.constantFrom('admin', 'admin', 'admin', 'bob', 'nobody');

  type Action = { method: string; kind: string; query?: string; body?: string; contentType: string };
  /** One arbitrary per surface; each surface gets its own 200 cases. */
  const actions: Record<string, fc.Arbitrary<Action>> = {
    releases: fc.record({ limit: fc.option(queryValue), skip: fc.option(queryValue) }).map(({ limit, skip }) => {
      const query = [limit !== null ? `limit=${limit}` : '', skip !== null ? `skip=${skip}` : ''].filter(Boolean).join('&');
      return { method: 'GET', kind: 'releases', query, contentType: 'application/json' };
    }),
    rollback: fc
      .record({
        body: fc.oneof(
          json(fc.record({ release: anyValue }, { requiredKeys: [] })),
          json(fc.record({ release: fc.integer({ min: 0, max: 4 }) })),
          rawBody,
        ),
        contentType: fc.constantFrom('application/json', 'application/json', 'text/plain'),
      })
      .map(({ body, contentType }) => ({ method: 'POST', kind: 'rollback', body, contentType })),
    redeploy: fc
      .record({ body: fc.oneof(json(anyValue), rawBody), contentType: fc.constantFrom('application/json', 'text/plain') })
      .map(({ body, contentType }) => ({ method: 'POST', kind: 'redeploy', body, contentType })),
    unlock: fc
      .record({ body: fc.oneof(json(anyValue), rawBody), contentType: fc.constantFrom('application/json', 'text/plain') })
      .map(({ body, contentType }) => ({ method: 'POST', kind: 'unlock', body, contentType })),
    env: fc
      .record({
        body: fc.oneof({ weight: 4, arbitrary: json(envBody) }, { weight: 1, arbitrary: rawBody }),
        contentType: fc.constantFrom('application/json', 'application/json', 'application/x-www-form-urlencoded'),
      })
      .map(({ body, contentType }) => ({ method: 'PATCH', kind: 'env', body, contentType })),
  };

  // Each action once as its owner on the app with releases, whatever the seed: the successes are reached.
  type Case = [Action, 'admin' | 'bob' | 'wrong' | 'none', string, string];
  const examples: Record<string, Case[]> = {
    releases: [[{ method: 'GET', kind: 'releases', query: 'limit=1', contentType: 'application/json' }, 'admin', 'admin', '<app>']],
    redeploy: [[{ method: 'POST', kind: 'redeploy', contentType: 'application/json' }, 'admin', 'admin', '<app>']],
    env: [
      [
        {
          method: 'PATCH',
          kind: 'env',
          body: JSON.stringify({ set: { API_URL: 'https://x' }, deploy: true }),
          contentType: 'application/json',
        },
        'admin',
        'admin',
        '<app>',
      ],
    ],
    rollback: [
      [
        { method: 'POST', kind: 'rollback', body: JSON.stringify({ release: 1 }), contentType: 'application/json' },
        'admin',
        'admin',
        '<app>',
      ],
      [{ method: 'POST', kind: 'rollback', body: JSON.stringify({}), contentType: 'application/json' }, 'admin', 'admin', 'no-releases'],
    ],
    unlock: [[{ method: 'POST', kind: 'unlock', contentType: 'application/json' }, 'admin', 'admin', '<app>']],
  };

  for (const kind of Object.keys(actions)) {
    it(`answers 200 ${kind} requests with a success or a spec code${kind === 'env' ? '; a refused env change changes nothing' : ''}`, async () => {
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(actions[kind], who, owner, appName, async (act, auth, user, name) => {
          const target = name === '<app>' ? app : name;
          const path = `/1/apps/${user}/${target}/${act.kind}${act.query ? `?${act.query}` : ''}`;
          const before = act.kind === 'env' && user === 'admin' ? await env(decodeURIComponent(target)) : undefined;
          const answer = await send(act.method, path, auth, act.body, act.contentType);
          seen.add(answer.status);
          expectSpecAnswer(answer, [200, 202, 400, 401, 403, 404, 409, 413, 414, 415], {
            includes: (code: string) => CODES.test(code),
          } as unknown as string[]);
          if (auth === 'wrong' || auth === 'none' || auth === 'bob') expect([path, auth, answer.status < 300]).toEqual([path, auth, false]);
          if (act.kind === 'env' && answer.status >= 300 && user === 'admin')
            expect([path, act.body, await env(decodeURIComponent(target))]).toEqual([path, act.body, before]);
        }),
        { numRuns: 200, endOnFailure: true, examples: examples[kind] },
      );
      // The surface was reached past validation (a success) and refused (a client error).
      expect([kind, [...seen].some((s) => s < 300), [...seen].some((s) => s >= 400)]).toEqual([kind, true, true]);
    });
  }

  it('left no half-written record: each started deployment has its workflow, locks name rollbacks that exist, releases untouched', async () => {
    const started = await f.harness.db.collection('deployments').find({ provider: 'api' }).toArray();
    expect(started.length).toBeGreaterThan(0);
    for (const deployment of started) {
      expect([deployment._id, deployment.app, deployment.cause]).toEqual([
        deployment._id,
        app,
        expect.stringMatching(/^(rollback|redeploy|env)$/),
      ]);
      const description = await f.harness.temporal.workflow.getHandle(deployment.workflowId).describe();
      expect(description.workflowId).toBe(deployment.workflowId);
    }
    for (const stored of await f.harness.db
      .collection('apps')
      .find({ lock: { $exists: true } })
      .toArray()) {
      const rollback = await f.harness.db.collection('deployments').findOne({ _id: stored.lock.deployment });
      expect([stored.name, rollback?.cause, rollback?.rolledBackTo]).toEqual([stored.name, 'rollback', stored.lock.release]);
    }
    const releases = await f.harness.db.collection('releases').find().toArray();
    expect(releases.map((r) => [r.app, r.version, r.live])).toEqual([[app, 1, true]]);
    expect(await f.harness.db.collection('apps').countDocuments({ user: 'bob' })).toBe(0);
    expect((await f.harness.request('GET', '/health', { auth: null })).status).toBe(200);
  });
});
