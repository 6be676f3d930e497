import { ADMIN, Harness } from '../support/harness';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const wrong = (username: string) => ({ username, password: 'guess' });

/**
 * Failed sign-ins are throttled per user and per address: a password attempt then waits, right
 * or wrong, so a guesser learns nothing; an API token is never throttled by others' failures,
 * so knowing a username is not enough to stop that user's webhook deliveries.
 */
describe('failed sign-in throttling per user', () => {
  let harness: Harness;
  let token: string;
  const webhooks = (auth: { username: string; password: string }) => harness.request('GET', '/1/status/alice/webhooks', { auth });

  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { LOGIN_FAILURES_PER_USER: '3', LOGIN_FAILURES_PER_ADDRESS: '1000' } });
    expect((await harness.request('POST', '/1/users', { body: ALICE })).status).toBe(201);
    token = (await harness.request('POST', '/1/users/alice/tokens', { auth: ALICE, body: { name: 'ci' } })).json.token;
  });
  afterAll(() => harness.stop());

  it('answers 429 mw:auth:throttled after the limit, for that user only', async () => {
    for (let i = 0; i < 3; i++)
      expect((await harness.request('GET', '/1/status/admin/webhooks', { auth: wrong(ADMIN.username) })).json.error).toBe(
        'mw:auth:unauthorized',
      );
    const throttled = await harness.request('GET', '/1/status/admin/webhooks', { auth: ADMIN });
    expect(throttled.status).toBe(429);
    expect(throttled.json).toMatchObject({ error: 'mw:auth:throttled', message: expect.stringMatching(/try again in \d+ s/) });
    // The same wait, for clients that read it: Retry-After in seconds.
    expect(throttled.headers.get('retry-after')).toBe(/try again in (\d+) s/.exec(throttled.json.message)![1]);
    const other = await harness.request('GET', '/1/status/nobody/webhooks', { auth: { username: 'nobody', password: 'x' } });
    expect(other.json.error).toBe('mw:auth:unauthorized');
  });

  it('refuses every password of a throttled user unchecked, right or wrong, even one verified a moment ago', async () => {
    expect((await webhooks(ALICE)).status).toBe(200); // verified, and remembered for a few seconds
    for (let i = 0; i < 3; i++) expect((await webhooks(wrong('alice'))).status).toBe(401);
    for (const auth of [ALICE, wrong('alice'), { username: 'alice', password: 'alice-password-2' }]) {
      const answer = await webhooks(auth);
      expect([answer.status, answer.json.error]).toEqual([429, 'mw:auth:throttled']);
    }
  });

  it('lets a valid API token of the throttled user through; a wrong token is a failed password attempt', async () => {
    expect((await webhooks(ALICE)).status).toBe(429);
    for (let i = 0; i < 3; i++) {
      const answer = await webhooks({ username: 'alice', password: token });
      expect([answer.status, answer.headers.get('x-api-uuid')]).toEqual([200, expect.any(String)]);
    }
    const forged = await webhooks({ username: 'alice', password: `${token.slice(0, -4)}AAAA` });
    expect([forged.status, forged.json.error]).toEqual([429, 'mw:auth:throttled']);
    const deploy = await harness.request('POST', '/1/deploy', { auth: { username: 'alice', password: token }, body: {} });
    expect(deploy.json.error).not.toMatch(/^(mw|deploy):auth:/); // authenticated; the empty payload is what is refused
  });
});

describe('failed sign-in throttling per address', () => {
  let harness: Harness;
  let token: string;

  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { LOGIN_FAILURES_PER_USER: '1000', LOGIN_FAILURES_PER_ADDRESS: '3' } });
    token = (await harness.request('POST', '/1/users/admin/tokens', { body: { name: 'hooks' } })).json.token;
  });
  afterAll(() => harness.stop());

  it('refuses passwords from an address that failed too often, whatever the user, but not API tokens', async () => {
    for (const username of ['eve1', 'eve2', 'eve3'])
      expect((await harness.request('GET', `/1/status/${username}/webhooks`, { auth: wrong(username) })).status).toBe(401);
    const password = await harness.request('GET', '/1/status/admin/webhooks', { auth: ADMIN });
    expect([password.status, password.json.error]).toEqual([429, 'mw:auth:throttled']);
    const viaToken = await harness.request('GET', '/1/status/admin/webhooks', { auth: { username: ADMIN.username, password: token } });
    expect(viaToken.status).toBe(200);
  });
});
