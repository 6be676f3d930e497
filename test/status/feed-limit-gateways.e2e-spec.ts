import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Harness } from '../support/harness';
import { startGateway } from '../support/second-gateway';
import { basic, NdjsonFeed, sleep } from './feed-client';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const HEARTBEAT_MS = 500; // leases last 3 heartbeats: 1.5 s

/**
 * FEED_MAX_PER_USER holds over every gateway on one database (docs/reliability.md#limits-across-gateways): each open feed holds a lease in MongoDB; one past its expiry (its gateway crashed)
 * no longer counts.
 */
describe('changes feeds per user across gateways', () => {
  let harness: Harness;
  let second: { app: NestFastifyApplication; baseUrl: string };
  const feeds: NdjsonFeed[] = [];
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { FEED_MAX_PER_USER: '2', FEED_HEARTBEAT: `${HEARTBEAT_MS}ms` } });
    second = await startGateway(harness.config);
    expect((await harness.request('POST', '/1/users', { body: ALICE })).status).toBe(201);
  });
  afterAll(async () => {
    feeds.forEach((feed) => feed.close());
    await second?.app.close();
    await harness.stop();
  });

  const open = async (baseUrl: string) => {
    const feed = await NdjsonFeed.open(`${baseUrl}/1/status/alice/changes`, ALICE);
    feeds.push(feed);
    return feed;
  };

  /** One more feed request: status and error code; a feed that opened anyway is closed at once. */
  const oneMore = async (baseUrl: string) => {
    const abort = new AbortController();
    const response = await fetch(`${baseUrl}/1/status/alice/changes`, { headers: { authorization: basic(ALICE) }, signal: abort.signal });
    if (response.status === 200) {
      abort.abort();
      return { status: 200, error: undefined, message: undefined };
    }
    const body = (await response.json()) as { error: string; message: string };
    return { status: response.status, error: body.error, message: body.message };
  };

  /** Asks until an answer is 200 (the gateway sees a disconnect a moment later), bounded by attempts. */
  const openEventually = async (baseUrl: string) => {
    let feed: NdjsonFeed | undefined;
    for (let attempt = 0; attempt < 200 && feed?.status !== 200; attempt += 1) {
      feed?.close();
      if (attempt > 0) await sleep(25);
      feed = await open(baseUrl);
    }
    return feed!;
  };

  it('refuses a third feed on gateway B while gateway A holds two, and takes it once one closes', async () => {
    const first = await open(harness.baseUrl);
    const secondFeed = await open(harness.baseUrl);
    expect([first.status, secondFeed.status]).toEqual([200, 200]);

    expect(await oneMore(second.baseUrl)).toEqual({
      status: 429,
      error: 'status:changes:too_many',
      message: expect.stringMatching(/FEED_MAX_PER_USER/),
    });

    first.close();
    const onB = await openEventually(second.baseUrl);
    expect(onB.status).toBe(200);
    expect((await oneMore(harness.baseUrl)).error).toBe('status:changes:too_many'); // B's feed counts on A too
    secondFeed.close();
    onB.close();
  });

  it('stops counting the feeds of a gateway that stopped renewing their leases, once the leases expire', async () => {
    // Two leases of a gateway that crashed: nobody renews or removes them.
    const expiresAt = new Date(Date.now() + 3 * HEARTBEAT_MS);
    const leases = harness.db.collection<{ _id: string; user: string; gateway: string; expiresAt: Date }>('feed_leases');
    await leases.insertMany([
      { _id: 'crashed-1', user: 'alice', gateway: 'crashed', expiresAt },
      { _id: 'crashed-2', user: 'alice', gateway: 'crashed', expiresAt },
    ]);
    expect((await oneMore(second.baseUrl)).error).toBe('status:changes:too_many');
    await sleep(expiresAt.getTime() - Date.now() + 100);
    expect((await oneMore(second.baseUrl)).status).toBe(200);
    // The gateways' renewals remove expired leases: they do not pile up.
    for (let attempt = 0; attempt < 100 && (await leases.countDocuments({ gateway: 'crashed' })) > 0; attempt++) await sleep(50);
    expect(await leases.countDocuments({ gateway: 'crashed' })).toBe(0);
  });
});
