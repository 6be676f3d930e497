import { Harness, ADMIN } from '../support/harness';
import { GithubServer } from '../../tools/github-standin/github-standin';
import { githubHeaders } from '../support/payloads';

type Who = 'none' | 'wrongPassword' | 'revokedToken' | 'otherUser' | 'owner' | 'admin';
interface Endpoint {
  name: string;
  method: string;
  path: string;
  body?: () => object;
  headers?: () => Record<string, string>;
  stream?: boolean;
  /** Expected answer per caller; `ok` is the success status. */
  ok: number;
  unauthorized?: string;
  other?: [number, string] | 'ok';
  owner?: [number, string];
}

const ALICE = { username: 'alice', password: 'alice-password-1' };
/** What a user with no role on alice's app gets on its routes: as if it did not exist (docs/contract.md#collaborators). */
const NO_ROLE: [number, string] = [404, 'apps:not_found'];
const BOB = { username: 'bob', password: 'bob-password-1' };
const GITHUB_TOKEN = 'ghp_matrixToken0123456789';

describe('authorization matrix: every endpoint × every kind of caller', () => {
  let harness: Harness;
  let github: GithubServer;
  let entryId: string;
  let aliceToken: string;
  let revoked: string;
  const texts: string[] = [];
  const logs: string[] = [];
  const restore: Array<() => void> = [];

  beforeAll(async () => {
    github = await new GithubServer().start();
    github.tokens.set(GITHUB_TOKEN, 'alice-gh');
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      stream.write = (chunk: unknown, ...rest: unknown[]) => {
        logs.push(String(chunk));
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      };
      restore.push(() => (stream.write = write));
    }
    harness = await Harness.start({ worker: false, env: { GITHUB_API_URL: github.url, LOG_LEVEL: 'debug' } });
    for (const user of [ALICE, BOB]) expect((await harness.request('POST', '/1/users', { body: user })).status).toBe(201);
    aliceToken = (await harness.request('POST', '/1/users/alice/tokens', { auth: ALICE, body: { name: 'ci' } })).json.token;
    const old = await harness.request('POST', '/1/users/alice/tokens', { auth: ALICE, body: { name: 'old' } });
    revoked = old.json.token;
    expect((await harness.request('DELETE', `/1/users/alice/tokens/${old.json.id}`, { auth: ALICE })).status).toBe(204);
    entryId = 'dep_matrix:001';
    await harness.db.collection('status_entries').insertOne({
      _id: entryId as never,
      uuid: 'u',
      user: 'alice',
      app_name: 'app',
      deployment: 'dep_matrix',
      status: 'ok',
      step: 'done',
      provider: 'api',
      commit: 'o/r/sha',
      ts: new Date(),
      cursor: '001000000000000_000000000000000000000000',
    });
  });
  afterAll(async () => {
    await harness.stop();
    await github.stop();
    restore.forEach((undo) => undo());
  });

  const callers: Record<Who, () => { username: string; password: string } | null> = {
    none: () => null,
    wrongPassword: () => ({ username: 'alice', password: 'not-her-password' }),
    revokedToken: () => ({ username: 'alice', password: revoked }),
    otherUser: () => BOB,
    owner: () => ({ username: 'alice', password: aliceToken }),
    admin: () => ADMIN,
  };

  const endpoints: Endpoint[] = [
    // A GitHub ping: authentication is the same as for a push, and no worker is needed to answer it.
    {
      name: 'deploy',
      method: 'POST',
      path: '/1/deploy',
      body: () => ({ zen: 'Keep it logically awesome.', hook_id: 1 }),
      headers: () => githubHeaders('ping'),
      ok: 200,
      unauthorized: 'deploy:auth:bad_creds',
      other: 'ok',
    },
    { name: 'status webhooks', method: 'GET', path: '/1/status/alice/webhooks', ok: 200 },
    { name: 'status webhooks/:app', method: 'GET', path: '/1/status/alice/webhooks/app', ok: 200, other: NO_ROLE },
    { name: 'changes', method: 'GET', path: '/1/status/alice/changes', ok: 200, stream: true },
    { name: 'changes/:id', method: 'GET', path: '/1/status/alice/changes/dep_matrix:001', ok: 200 },
    { name: 'apps PUT', method: 'PUT', path: '/1/apps/alice/app', body: () => ({ repository: 'octo-org/app' }), ok: 200, other: NO_ROLE },
    { name: 'apps GET', method: 'GET', path: '/1/apps/alice/app', ok: 200, other: NO_ROLE },
    { name: 'releases GET', method: 'GET', path: '/1/apps/alice/app/releases', ok: 200, other: NO_ROLE },
    { name: 'unlock POST', method: 'POST', path: '/1/apps/alice/app/unlock', ok: 200, other: NO_ROLE },
    { name: 'notifications GET', method: 'GET', path: '/1/apps/alice/app/notifications', ok: 200, other: NO_ROLE },
    { name: 'deliveries GET', method: 'GET', path: '/1/apps/alice/app/deliveries', ok: 200, other: NO_ROLE },
    {
      name: 'users POST',
      method: 'POST',
      path: '/1/users',
      body: () => ({ username: `u${Math.random().toString(36).slice(2, 10)}`, password: 'password-123' }),
      ok: 201,
      other: [403, 'mw:auth:admin_only'],
      owner: [403, 'mw:auth:admin_only'],
    },
    { name: 'tokens POST', method: 'POST', path: '/1/users/alice/tokens', body: () => ({ name: 'matrix' }), ok: 201 },
    { name: 'tokens GET', method: 'GET', path: '/1/users/alice/tokens', ok: 200 },
    { name: 'tokens DELETE', method: 'DELETE', path: '/1/users/alice/tokens/nope', ok: 404 },
    {
      name: 'auth/github',
      method: 'POST',
      path: '/1/auth/github',
      body: () => ({ credentials: `alice-gh:${GITHUB_TOKEN}` }),
      ok: 200,
      other: 'ok',
    },
  ];

  const probe = async (endpoint: Endpoint, who: Who) => {
    const auth = callers[who]();
    const headers: Record<string, string> = { ...endpoint.headers?.() };
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    const body = endpoint.body ? JSON.stringify(endpoint.body()) : undefined;
    if (body) headers['content-type'] = 'application/json';
    const abort = new AbortController();
    const response = await fetch(`${harness.baseUrl}${endpoint.path}`, { method: endpoint.method, headers, body, signal: abort.signal });
    const streaming = endpoint.stream && response.status === 200;
    const text = streaming ? '' : await response.text();
    if (streaming) abort.abort();
    texts.push(text);
    return { status: response.status, error: text.startsWith('{') ? JSON.parse(text).error : undefined };
  };

  for (const endpoint of endpoints) {
    it(`${endpoint.method} ${endpoint.name}`, async () => {
      const bad = endpoint.unauthorized ?? 'mw:auth:unauthorized';
      const other = endpoint.other ?? [401, 'mw:auth:not_you'];
      const success = (status: number) => [status, status === 404 ? 'tokens:not_found' : undefined];
      const expected: Record<Who, unknown[]> = {
        none: [401, bad],
        wrongPassword: [401, bad],
        revokedToken: [401, bad],
        otherUser: other === 'ok' ? success(endpoint.ok) : other,
        owner: endpoint.owner ?? success(endpoint.ok),
        admin: success(endpoint.ok),
      };
      const actual: Record<string, unknown[]> = {};
      for (const who of Object.keys(callers) as Who[]) {
        const { status, error } = await probe(endpoint, who);
        actual[who] = [status, status < 300 ? undefined : error];
      }
      expect(actual).toEqual(expected);
    });
  }

  it('never shows a password, API token or GitHub token after creation, in answers or logs', () => {
    const secrets = [ALICE.password, BOB.password, ADMIN.password, aliceToken, revoked, GITHUB_TOKEN, aliceToken.split('.')[1]];
    const everything = texts.join('\n') + logs.join('');
    expect(texts.length).toBeGreaterThan(50);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
