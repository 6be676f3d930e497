import { ADMIN, Harness } from '../support/harness';

/** Error codes no other test produced (test/error-codes.spec.ts lists them), each from the real gateway and MongoDB. */
describe('error codes on the real gateway', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { GATEWAY_BODY_LIMIT_BYTES: '4096' } });
  });
  afterAll(() => harness?.stop());

  it('apps:bad_name for an app name with characters an app name cannot have', async () => {
    const answer = await harness.request('PUT', `/1/apps/${ADMIN.username}/bad%20name!`, {
      body: { repository: 'octo-org/hello', branch: 'main' },
    });
    expect([answer.status, answer.json?.error]).toEqual([400, 'apps:bad_name']);
  });

  it('request:too_large for a body over the limit on an endpoint other than the webhook', async () => {
    const answer = await harness.request('POST', '/1/users', { body: { username: 'big', password: 'x'.repeat(8_000) } });
    expect([answer.status, answer.json?.error]).toEqual([413, 'request:too_large']);
  });

  it('deploy:github:no_app and auth:github:no_app when no GitHub App is configured', async () => {
    const webhook = await harness.request('POST', '/1/github/webhook', {
      auth: null,
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'd-1' },
      body: { zen: 'hi' },
    });
    expect([webhook.status, webhook.json?.error]).toEqual([404, 'deploy:github:no_app']);
    const link = await harness.request('POST', '/1/auth/github/installations', { body: { installationId: 42 } });
    expect([link.status, link.json?.error]).toEqual([400, 'auth:github:no_app']);
  });

  it('mw:auth:no_username for a user whose stored record is in a bad state', async () => {
    await harness.db.collection('users').insertOne({ _id: 'broken' as never, username: 'broken', usernameKey: 'broken' });
    const answer = await harness.request('GET', '/1/status/broken/webhooks', {
      auth: { username: 'broken', password: 'whatever-password' },
    });
    expect([answer.status, answer.json?.error]).toEqual([401, 'mw:auth:no_username']);
  });
});
