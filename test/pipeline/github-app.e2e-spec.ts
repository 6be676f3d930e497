import { createHmac, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { githubPush } from '../support/payloads';
import { PipelineFixture } from './pipeline-fixture';

const APP_ID = 4242;
const SECRET = 'app-webhook-secret';
const INSTALLATION = 77;

/**
 * The service as a GitHub App (docs/contract.md#the-github-app): installation tokens (from App JWTs the GitHub server
 * verifies with the App's public key) read repositories and write statuses; the App's one
 * webhook is HMAC-verified and routed to the apps of users who linked the installation.
 */
describe('GitHub App: installation tokens, the App webhook, installation links', () => {
  let f: PipelineFixture;
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });

  beforeAll(async () => {
    // The key as an env file often holds it: one line, `\n` for its line breaks.
    f = await PipelineFixture.start({
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: keys.privateKey.replace(/\n/g, '\\n'),
      GITHUB_APP_WEBHOOK_SECRET: SECRET,
    });
    f.github.ci.app = { id: APP_ID, slug: 'deploy-webhooks', publicKey: keys.publicKey };
    f.github.ci.installations.set(INSTALLATION, {
      id: INSTALLATION,
      account: { login: 'octo-org', type: 'Organization' },
      repositories: [],
    });
    f.github.ci.orgAdmins.set('octo-org', new Set(['admin-gh']));
    f.github.tokens.set('ghp_admin', 'admin-gh');
  });
  afterAll(() => f.stop());

  const appWebhook = (event: string, payload: object, secret = SECRET) => {
    const body = JSON.stringify(payload);
    return f.harness.request('POST', '/1/github/webhook', {
      auth: null,
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': randomBytes(8).toString('hex'),
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
    });
  };
  /** A push as the App's webhook delivers it: with the installation it came through. */
  const appPush = (repo: string, sha: string, installation = INSTALLATION) => ({
    ...githubPush({ repo, sha }),
    installation: { id: installation },
  });
  /** A private repository the App is installed on, configured as an app of admin's. */
  const installedRepository = async () => {
    const { repo, sha } = await f.commit({ private: true });
    f.github.ci.installations.get(INSTALLATION)!.repositories.push(`octo-org/${repo}`);
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    return { repo, sha };
  };

  it("the GitHub server takes App JWTs signed with the App's key only (RS256, iss = App id, unexpired)", async () => {
    const jwt = (key: string, claims: Record<string, unknown>) => {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
      return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key, 'base64url')}`;
    };
    const now = Math.floor(Date.now() / 1000);
    const tokenWith = (bearer: string) =>
      fetch(`${f.github.url}/app/installations/${INSTALLATION}/access_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}` },
      });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    expect((await tokenWith(jwt(other, { iss: APP_ID, iat: now - 60, exp: now + 540 }))).status).toBe(401);
    expect((await tokenWith(jwt(keys.privateKey, { iss: APP_ID, iat: now - 700, exp: now - 60 }))).status).toBe(401);
    expect((await tokenWith(jwt(keys.privateKey, { iss: APP_ID + 1, iat: now - 60, exp: now + 540 }))).status).toBe(401);
    const issued = await tokenWith(jwt(keys.privateKey, { iss: APP_ID, iat: now - 60, exp: now + 540 }));
    expect(issued.status).toBe(201);
    expect(await issued.json()).toMatchObject({ token: expect.stringMatching(/^ghs_/), expires_at: expect.any(String) });
  });

  it('links an installation only for a user whose stored GitHub token administers its account', async () => {
    const before = await f.harness.request('POST', '/1/auth/github/installations', { body: { installationId: INSTALLATION } });
    expect(before).toMatchObject({ status: 400, json: { error: 'auth:github:no_credentials' } });
    expect((await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_admin' } })).status).toBe(200);

    expect(await f.harness.request('POST', '/1/auth/github/installations', { body: { installationId: '77' } })).toMatchObject({
      status: 400,
      json: { error: 'auth:github:bad_installation' },
    });

    // bob's GitHub account is a member of octo-org, not an admin; 4343 is carol-gh's own account.
    const bob = { username: 'bob', password: 'bob-password-123' };
    expect((await f.harness.request('POST', '/1/users', { body: bob })).status).toBe(201);
    f.github.tokens.set('ghp_bob', 'bob-gh');
    f.github.ci.installations.set(4343, { id: 4343, account: { login: 'carol-gh', type: 'User' }, repositories: [] });
    expect((await f.harness.request('POST', '/1/auth/github', { auth: bob, body: { credentials: 'bob-gh:ghp_bob' } })).status).toBe(200);
    // Someone else's installation (an organization's, a user's) and one that does not exist get one
    // answer: the same status, code and sentence but for the id, naming no other account.
    const link = (installationId: number, auth?: typeof bob) =>
      f.harness.request('POST', '/1/auth/github/installations', { auth, body: { installationId } });
    const answers = await Promise.all([link(INSTALLATION, bob), link(4343, bob), link(99999, bob)]);
    const sentence = (answer: { status: number; json: { error: string; message: string } }, id: number) =>
      `${answer.status} ${answer.json.error} ${answer.json.message.replace(String(id), '<id>')}`;
    expect(sentence(answers[0], INSTALLATION)).toBe(sentence(answers[2], 99999));
    expect(sentence(answers[1], 4343)).toBe(sentence(answers[2], 99999));
    expect(answers[2]).toMatchObject({ status: 404, json: { error: 'auth:github:installation_not_found' } });
    for (const answer of answers) expect(answer.text).not.toMatch(/octo-org|carol-gh|Organization/);
    // A stored token GitHub no longer takes is refused before any installation is looked up.
    f.github.tokens.delete('ghp_bob');
    const stale = await Promise.all([link(INSTALLATION, bob), link(99999, bob)]);
    expect(stale.map((answer) => `${answer.status} ${answer.json.error}`)).toEqual([
      '401 auth:github:github_pairing_failed',
      '401 auth:github:github_pairing_failed',
    ]);
    // The admin's own answer for a missing id is that sentence too (only the caller's GitHub login differs).
    expect(await link(999)).toMatchObject({ status: 404, json: { error: 'auth:github:installation_not_found' } });

    const linked = await f.harness.request('POST', '/1/auth/github/installations', { body: { installationId: INSTALLATION } });
    expect(linked).toMatchObject({
      status: 200,
      json: { user: 'admin', installationId: INSTALLATION, account: { login: 'octo-org', type: 'Organization' } },
    });
  });

  it('deploys a push delivered to the App webhook; an installation token, not the personal one, read the tarball and wrote the statuses', async () => {
    const { repo, sha } = await installedRepository();
    const answer = await appWebhook('push', appPush(repo, sha));
    expect(answer).toMatchObject({ status: 202, json: { status: 'queued', existing: false } });
    expect(await f.outcome(answer.json.workflowId)).toEqual({ state: 'succeeded' });

    const tarballReads = f.github.requests.filter((r) => r.url.startsWith(`/repos/octo-org/${repo}/tarball/`));
    expect(tarballReads.length).toBeGreaterThan(0);
    for (const read of tarballReads) expect(read.token).toMatch(/^ghs_/);
    const statuses = f.github.statuses.filter((s) => s.sha === sha);
    expect(statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    for (const status of statuses) expect(status.token).toMatch(/^ghs_/);
    expect(f.github.requests.filter((r) => r.token === 'ghp_admin' && r.url.includes(repo))).toEqual([]);
  });

  it('fetches an installation token once and reuses it until shortly before it expires', async () => {
    const issued = () =>
      f.github.requests.filter((r) => r.method === 'POST' && r.url === `/app/installations/${INSTALLATION}/access_tokens`).length;
    const first = await installedRepository();
    await f.outcome((await appWebhook('push', appPush(first.repo, first.sha))).json.workflowId);
    const before = issued();
    const second = await installedRepository();
    await f.outcome((await appWebhook('push', appPush(second.repo, second.sha))).json.workflowId);
    expect(before).toBeGreaterThan(0);
    expect(issued()).toBe(before);
  });

  it('answers a wrong App signature 401 deploy:auth:bad_signature, and starts nothing', async () => {
    const { repo, sha } = await installedRepository();
    const answer = await appWebhook('push', appPush(repo, sha), 'not-the-secret');
    expect(answer).toMatchObject({ status: 401, json: { error: 'deploy:auth:bad_signature' } });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(0);
  });

  it('answers ignored for a repository no user who linked the installation configured', async () => {
    const { repo, sha } = await f.commit();
    f.github.ci.installations.get(INSTALLATION)!.repositories.push(`octo-org/${repo}`);
    const answer = await appWebhook('push', appPush(repo, sha));
    expect(answer).toMatchObject({ status: 200, json: { status: 'ignored', reason: expect.stringContaining(`octo-org/${repo}`) } });
    const unlinked = await appWebhook('push', appPush(repo, sha, 5));
    expect(unlinked).toMatchObject({ status: 200, json: { status: 'ignored' } });
    expect(await f.harness.db.collection('deployments').countDocuments({ commit: sha })).toBe(0);
  });
});
