import { ADMIN, Harness } from '../support/harness';
import { basic, NdjsonFeed } from './feed-client';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-1' };

/** Security review finding 11 (docs/reliability.md#security-findings-issue-18-authentication-and-webhooks): a user holds at most FEED_MAX_PER_USER live changes feeds on a gateway at once. */
describe('changes feeds per user', () => {
  let harness: Harness;
  const feeds: NdjsonFeed[] = [];
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { FEED_MAX_PER_USER: '2' } });
    for (const user of [ALICE, BOB]) expect((await harness.request('POST', '/1/users', { body: user })).status).toBe(201);
  });
  afterAll(async () => {
    feeds.forEach((feed) => feed.close());
    await harness.stop();
  });

  const open = async (auth: { username: string; password: string }, user = auth.username) => {
    const feed = await NdjsonFeed.open(`${harness.baseUrl}/1/status/${user}/changes`, auth);
    feeds.push(feed);
    return feed;
  };

  /** One more feed request: its status and error body; a feed that opened anyway is closed at once (no hang on a live stream). */
  const oneMore = async (auth: { username: string; password: string }, user = auth.username) => {
    const abort = new AbortController();
    const response = await fetch(`${harness.baseUrl}/1/status/${user}/changes`, {
      headers: { authorization: basic(auth) },
      signal: abort.signal,
    });
    if (response.status === 200) {
      abort.abort();
      return {
        status: 200,
        json: undefined as { error: string; message: string; uuid: string } | undefined,
        uuid: response.headers.get('x-api-uuid'),
      };
    }
    return {
      status: response.status,
      json: (await response.json()) as { error: string; message: string; uuid: string },
      uuid: response.headers.get('x-api-uuid'),
    };
  };

  it('refuses a feed over the cap with 429 status:changes:too_many, counting per user, and takes one again once a feed closes', async () => {
    const first = await open(ALICE);
    const second = await open(ALICE);
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await oneMore(ALICE);
    expect([third.status, third.json]).toEqual([
      429,
      { error: 'status:changes:too_many', message: expect.stringMatching(/FEED_MAX_PER_USER/), uuid: third.uuid },
    ]);
    const byAdmin = await oneMore(ADMIN, 'alice');
    expect([byAdmin.status, byAdmin.json?.error]).toEqual([429, 'status:changes:too_many']); // the cap is the feed's user's, whoever asks

    expect((await open(BOB)).status).toBe(200); // another user's feeds are not counted against alice

    first.close();
    // The gateway sees the disconnect a moment later: ask until it has (bounded by attempts, not by time).
    let reopened: NdjsonFeed | undefined;
    for (let attempt = 0; attempt < 200 && reopened?.status !== 200; attempt += 1) {
      reopened?.close();
      reopened = await open(ALICE);
      if (reopened.status !== 200) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(reopened?.status).toBe(200);
  });

  it('answers the one-entry read /changes/:id whatever the number of open feeds', async () => {
    const answer = await harness.request('GET', '/1/status/alice/changes/dep_none:00001', { auth: ALICE });
    expect([answer.status, answer.json.error]).toEqual([404, 'status:db:not_found']);
  });
});
