import { ADMIN, Harness } from '../support/harness';

/** Failed sign-ins are throttled per user (and per address); the right password then waits too. */
describe('failed sign-in throttling', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { LOGIN_FAILURES_PER_USER: '3', LOGIN_FAILURES_PER_ADDRESS: '1000' } });
  });
  afterAll(() => harness.stop());

  it('answers 429 mw:auth:throttled after the limit, for that user only', async () => {
    const wrong = { username: ADMIN.username, password: 'guess' };
    for (let i = 0; i < 3; i++) expect((await harness.request('GET', '/1/status/admin/webhooks', { auth: wrong })).json.error).toBe('mw:auth:unauthorized');
    const throttled = await harness.request('GET', '/1/status/admin/webhooks', { auth: ADMIN });
    expect(throttled.status).toBe(429);
    expect(throttled.json).toMatchObject({ error: 'mw:auth:throttled', message: expect.stringMatching(/try again in \d+ s/) });
    const other = await harness.request('GET', '/1/status/nobody/webhooks', { auth: { username: 'nobody', password: 'x' } });
    expect(other.json.error).toBe('mw:auth:unauthorized');
  });
});
