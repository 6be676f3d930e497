import { GithubCredentials } from '../../libs/github';
import { GithubServer } from '../../tools/github-standin/github-standin';
import { Harness } from '../support/harness';

const CAROL = { username: 'carol', password: 'carol-password-1' };

describe('users, API tokens and GitHub authorization', () => {
  let harness: Harness;
  let github: GithubServer;

  beforeAll(async () => {
    github = await new GithubServer().start();
    github.tokens.set('ghp_wildcard', 'Carol-GH');
    github.tokens.set('ghp_appOnly', 'carol-gh');
    github.tokens.set('ghp_someoneElse', 'mallory');
    harness = await Harness.start({ worker: false, env: { GITHUB_API_URL: github.url } });
  });
  afterAll(async () => {
    await harness.stop();
    await github.stop();
  });

  it('creates a user once (409 users:exists after) and validates the body', async () => {
    const created = await harness.request('POST', '/1/users', { body: CAROL });
    expect([created.status, created.json]).toEqual([201, { username: 'carol', admin: false }]);
    const again = await harness.request('POST', '/1/users', { body: CAROL });
    expect([again.status, again.json.error]).toEqual([409, 'users:exists']);
    const short = await harness.request('POST', '/1/users', { body: { username: 'dave', password: 'short' } });
    expect([short.status, short.json.error]).toEqual([400, 'request:invalid']);
    const extra = await harness.request('POST', '/1/users', { body: { username: 'dave', password: 'long-enough-1', admin: true } });
    expect([extra.status, extra.json.error]).toEqual([400, 'request:invalid']);
  });

  it('shows a token once, lists tokens without secrets but with lastUsedAt, and revokes', async () => {
    const created = await harness.request('POST', '/1/users/carol/tokens', { auth: CAROL, body: { name: 'laptop' } });
    expect(created.status).toBe(201);
    const { id, token } = created.json;
    expect(token).toMatch(/^dwt_/);
    const viaToken = await harness.request('GET', '/1/status/carol/webhooks', { auth: { username: 'carol', password: token } });
    expect(viaToken.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100)); // lastUsedAt is written after the answer
    const list = await harness.request('GET', '/1/users/carol/tokens', { auth: CAROL });
    expect(list.json).toEqual([{ id, name: 'laptop', createdAt: expect.any(String), lastUsedAt: expect.any(String) }]);
    expect(list.text).not.toContain(token.split('.')[1]);
    expect(list.text).not.toContain('secretHash');
    expect((await harness.request('DELETE', `/1/users/carol/tokens/${id}`, { auth: CAROL })).status).toBe(204);
    const again = await harness.request('DELETE', `/1/users/carol/tokens/${id}`, { auth: CAROL });
    expect([again.status, again.json.error]).toEqual([404, 'tokens:not_found']);
    const revoked = await harness.request('GET', '/1/status/carol/webhooks', { auth: { username: 'carol', password: token } });
    expect([revoked.status, revoked.json.error]).toEqual([401, 'mw:auth:unauthorized']);
    const nobody = await harness.request('GET', '/1/users/nobody/tokens');
    expect([nobody.status, nobody.json.error]).toEqual([404, 'users:not_found']);
  });

  it('rejects missing, malformed and unverifiable GitHub credentials with the seed codes', async () => {
    const post = (body: object | undefined, query = '') => harness.request('POST', `/1/auth/github${query}`, { auth: CAROL, body });
    const cases: Array<[object | undefined, number, string]> = [
      [undefined, 400, 'auth:github:no_credentials'],
      [{}, 400, 'auth:github:no_credentials'],
      [{ credentials: 'no-colon-here' }, 400, 'auth:github:bad_credentials'],
      [{ credentials: 42 }, 400, 'auth:github:bad_credentials'],
      [{ credentials: `carol-gh:ghp_${'x'.repeat(100_000)}` }, 400, 'auth:github:bad_credentials'], // never sent to GitHub
      [{ credentials: 'carol-gh:ghp_unknown' }, 401, 'auth:github:github_pairing_failed'],
      [{ credentials: 'carol-gh:ghp_someoneElse' }, 401, 'auth:github:github_pairing_failed'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await post(body);
      expect([JSON.stringify(body), answer.status, answer.json.error]).toEqual([JSON.stringify(body), status, code]);
    }
    expect(await harness.db.collection('github_tokens').countDocuments()).toBe(0);
  });

  it('stores verified tokens sealed and hands them out by the seed’s rule', async () => {
    const wildcard = await harness.request('POST', '/1/auth/github', { auth: CAROL, body: { credentials: 'carol-gh:ghp_wildcard' } });
    expect([wildcard.status, wildcard.json]).toEqual([200, { user: 'carol', app: '*', github: 'Carol-GH' }]);
    const scoped = await harness.request('POST', '/1/auth/github?app=blog', { auth: CAROL, body: { credentials: 'carol-gh:ghp_appOnly' } });
    expect([scoped.status, scoped.json.app]).toEqual([200, 'blog']);
    const stored = JSON.stringify(await harness.db.collection('github_tokens').find().toArray());
    expect(stored).not.toContain('ghp_');
    const credentials = harness.gateway!.get(GithubCredentials);
    expect(await credentials.tokenFor('carol')).toBe('ghp_wildcard'); // repository reads: wildcard only
    expect(await credentials.tokenFor('carol', 'blog')).toBe('ghp_appOnly'); // that app's commit statuses
    expect(await credentials.tokenFor('carol', 'shop')).toBe('ghp_wildcard');
    expect(await credentials.tokenFor('nobody')).toBeUndefined();
  });

  it('answers auth:github:get_user_failed when GitHub cannot be reached', async () => {
    await github.stop();
    const answer = await harness.request('POST', '/1/auth/github', { auth: CAROL, body: { credentials: 'carol-gh:ghp_wildcard' } });
    expect([answer.status, answer.json.error]).toEqual([500, 'auth:github:get_user_failed']);
  });
});
