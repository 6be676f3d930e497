import type { IncomingMessage } from 'node:http';
import { FeedHub, StatusRepository } from '../../libs/status';
import { Harness } from '../support/harness';
import { basic, sleep } from './feed-client';
import { gate } from '../support/gate';

const ALICE = { username: 'alice', password: 'alice-password-1' };

/**
 * Failure window 4 (docs/reliability.md#failure-windows-issue-16): a changes-feed client that disconnects while its feed is opening (the
 * catch-up read still running) is unsubscribed at once, not held until FEED_MAX_DURATION.
 */
describe('a feed client that leaves while its feed opens', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { FEED_MAX_PER_USER: '1' } });
    expect((await harness.request('POST', '/1/users', { body: ALICE })).status).toBe(201);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await harness.stop();
  });

  it('is unsubscribed as soon as its feed would start, and the user may open another', async () => {
    const hub = harness.gateway!.get(FeedHub);
    // The server side of the feed request, to know when the gateway has seen the client go.
    let serverSide: IncomingMessage | undefined;
    harness.gateway!.getHttpServer().on('request', (req: IncomingMessage) => {
      if (req.url?.includes('/changes?since=0')) serverSide = req;
    });
    // Holds the catch-up read (the real query, run once released) until the client has left:
    // the order of events is forced, no timing involved.
    const { held: released, open: release } = gate();
    let reads = 0;
    const original = StatusRepository.prototype.entriesBetween;
    jest.spyOn(StatusRepository.prototype, 'entriesBetween').mockImplementation(async function (this: StatusRepository, ...args) {
      if (reads++ === 0) await released;
      return original.apply(this, args);
    });

    const abort = new AbortController();
    const answer = fetch(`${harness.baseUrl}/1/status/alice/changes?since=0`, {
      headers: { authorization: basic(ALICE) },
      signal: abort.signal,
    }).catch((error: Error) => error);
    await waitUntil(() => reads === 1, 'the feed never reached its catch-up read');
    expect(hub.clientCount).toBe(1);
    abort.abort();
    expect(await answer).toMatchObject({ name: 'AbortError' }); // the client got no answer: it left first
    await waitUntil(() => serverSide?.socket.destroyed === true, 'the gateway never saw the client disconnect');
    release();

    await waitUntil(
      () => hub.clientCount === 0,
      `the departed client is still subscribed (hub holds ${hub.clientCount} feed(s)): it would stay until FEED_MAX_DURATION`,
    );
    const next = await harness.request('GET', '/1/status/alice/changes/dep_none:00001', { auth: ALICE });
    expect(next.status).toBe(404); // the gateway still answers alice normally
    const again = new AbortController();
    const reopened = await fetch(`${harness.baseUrl}/1/status/alice/changes`, {
      headers: { authorization: basic(ALICE) },
      signal: again.signal,
    });
    again.abort();
    expect(reopened.status).toBe(200); // FEED_MAX_PER_USER is 1: the departed feed no longer counts
  });
});

/** Polls a condition, bounded by attempts (about 10 s); the message says what never happened. */
async function waitUntil(condition: () => boolean, message: string): Promise<void> {
  for (let attempt = 0; attempt < 1_000; attempt += 1) {
    if (condition()) return;
    await sleep(10);
  }
  throw new Error(message);
}
