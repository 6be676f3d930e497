import { MongoFaultProxy } from '../support/mongo-fault-proxy';
import { ADMIN, Harness } from '../support/harness';
import { NdjsonFeed, sleep } from '../status/feed-client';

/**
 * The limits counted in MongoDB (docs/reliability.md#limits-across-gateways) fail like the
 * code around them when their collection does not answer: a catalogued error with a sentence,
 * never a crash, and API tokens (never throttled) are not affected.
 */
describe('limits across gateways with MongoDB failing', () => {
  let proxy: MongoFaultProxy;
  let harness: Harness;
  let token: string;
  const feeds: NdjsonFeed[] = [];

  beforeAll(async () => {
    proxy = await MongoFaultProxy.start(process.env.TEST_MONGO_URL!);
    harness = await Harness.start({ worker: false, mongoUrl: proxy.url, env: { FEED_HEARTBEAT: '200ms' } });
    token = (await harness.request('POST', '/1/users/admin/tokens', { body: { name: 'hooks' } })).json.token;
  });
  afterAll(async () => {
    feeds.forEach((feed) => feed.close());
    await harness?.stop();
    await proxy?.stop();
  });

  const expectError = (answer: { status: number; json: any }, status: number, code: string) => {
    expect([answer.status, answer.json?.error]).toEqual([status, code]);
    expect(answer.json.message).toMatch(/^[A-Z].{10,}\.$/);
  };

  it('answers a password sign-in 500 mw:auth:auth_server_down when the failure counts cannot be read; a token still signs in', async () => {
    const { result: password, hits } = await proxy.failing({ collection: 'login_failures' }, () =>
      harness.request('GET', '/1/status/admin/webhooks'),
    );
    expectError(password, 500, 'mw:auth:auth_server_down');
    expect(hits).toBeGreaterThan(0);
    const { result: viaToken } = await proxy.failing({ collection: 'login_failures' }, () =>
      harness.request('GET', '/1/status/admin/webhooks', { auth: { username: ADMIN.username, password: token } }),
    );
    expect(viaToken.status).toBe(200);
    // A wrong password whose failure cannot be counted is not answered 401 either.
    const { result: wrong } = await proxy.failing({ collection: 'login_failures', commands: ['update'] }, () =>
      harness.request('GET', '/1/status/admin/webhooks', { auth: { username: ADMIN.username, password: 'guess' } }),
    );
    expectError(wrong, 500, 'mw:auth:auth_server_down');
    expect((await harness.request('GET', '/1/status/admin/webhooks')).status).toBe(200);
  });

  it('answers a feed 500 status:db:query_fail when its lease cannot be taken, and keeps open feeds while renewals fail', async () => {
    const url = `${harness.baseUrl}/1/status/admin/changes`;
    const refused = await proxy.failing({ collection: 'feed_leases', commands: ['insert'] }, async () => {
      const response = await fetch(url, {
        headers: { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` },
      });
      return { status: response.status, json: await response.json() };
    });
    expectError(refused.result, 500, 'status:db:query_fail');

    const feed = await NdjsonFeed.open(url, ADMIN);
    feeds.push(feed);
    expect(feed.status).toBe(200);
    const renewals = proxy.fail({ collection: 'feed_leases' });
    await sleep(1_000); // five renewal periods, every one failing
    expect(renewals.hits).toBeGreaterThan(0);
    renewals.remove();
    const heartbeats = feed.heartbeats;
    await feed.waitFor((open) => open.heartbeats > heartbeats); // still open and served
    expect(feed.ended).toBe(false);
    expect((await harness.request('GET', '/1/status/admin/webhooks')).status).toBe(200);
  });
});
