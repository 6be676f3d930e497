import EventSource from 'eventsource';
import { AuthService } from '../../libs/auth';
import { FeedHub, NewStatusEntry, StatusEntry, StatusRepository } from '../../libs/status';
import { Harness } from '../support/harness';
import { basic, entry, NdjsonFeed, sleep } from './feed-client';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-1' };

describe('changes feed against the MongoDB-wire change stream', () => {
  let harness: Harness;
  let status: { append(entry: NewStatusEntry): Promise<StatusEntry> };
  const feeds: NdjsonFeed[] = [];
  const open = async (user: typeof ALICE, query = '', headers: Record<string, string> = {}) => {
    const feed = await NdjsonFeed.open(`${harness.baseUrl}/1/status/${user.username}/changes${query}`, user, headers);
    feeds.push(feed);
    return feed;
  };

  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { FEED_SETTLE: '100ms', FEED_HEARTBEAT: '300ms' } });
    const auth = harness.gateway!.get(AuthService);
    await auth.createUser(ALICE.username, ALICE.password);
    await auth.createUser(BOB.username, BOB.password);
    const repository = harness.gateway!.get(StatusRepository);
    status = { append: async (entry) => (await repository.append(entry)).entry };
  });
  afterEach(() => feeds.splice(0).forEach((feed) => feed.close()));
  afterAll(() => harness.stop());

  it('pushes a new entry to the connected owner, with the seed fields, a resume token and no doc by default', async () => {
    const feed = await open(ALICE);
    expect(feed.status).toBe(200);
    const written = await status.append(entry('alice'));
    await feed.waitFor((f) => f.lines.length === 1);
    expect(feed.lines[0]).toEqual({
      id: expect.stringMatching(new RegExp(`/1/status/alice/changes/${written._id}$`)),
      app_name: 'hello-world',
      uuid: written.uuid,
      status: 'ok',
      provider: 'github',
      commit: written.commit,
      seq: expect.stringMatching(new RegExp(`(^|~)${written.cursor}$`)), // the entry, after the horizon while unsettled (FeedSession)
    });
  });

  it('never shows one user another user’s entries', async () => {
    const [alice, bob] = await Promise.all([open(ALICE), open(BOB)]);
    await status.append(entry('bob', { app_name: 'bobs-app' }));
    await status.append(entry('alice', { app_name: 'alices-app' }));
    await status.append(entry('bob', { app_name: 'bobs-app' }));
    await alice.waitFor((f) => f.lines.length >= 1);
    await bob.waitFor((f) => f.lines.length >= 2);
    await sleep(300);
    expect(alice.lines.map((l) => l.app_name)).toEqual(['alices-app']);
    expect(bob.lines.map((l) => l.app_name)).toEqual(['bobs-app', 'bobs-app']);
    const peek = await harness.request('GET', '/1/status/bob/changes', { auth: ALICE });
    expect([peek.status, peek.json.error]).toEqual([401, 'mw:auth:not_you']);
  });

  it('include_docs: true adds the full doc, auto expands errors and summarises ok entries', async () => {
    const [all, auto] = await Promise.all([open(ALICE, '?include_docs=true'), open(ALICE, '?include_docs=auto')]);
    const ok = await status.append(entry('alice', { step: 'upload', message: 'uploaded 3 files' }));
    const failed = await status.append(
      entry('alice', { status: 'error', step: 'inspect', error: { code: 'deploy:tar:unsafe_path', message: 'an entry leaves the root' } }),
    );
    await all.waitFor((f) => f.lines.length === 2);
    await auto.waitFor((f) => f.lines.length === 2);
    expect(all.lines[0].doc).toMatchObject({ id: ok._id, step: 'upload', ts: ok.ts.toISOString() });
    expect(all.lines[0].doc).not.toHaveProperty('cursor');
    expect(auto.lines[0]).toMatchObject({ summary: 'upload: uploaded 3 files' });
    expect(auto.lines[0]).not.toHaveProperty('doc');
    expect(auto.lines[1].doc).toMatchObject({ id: failed._id, error: { code: 'deploy:tar:unsafe_path' } });
    const bad = await harness.request('GET', '/1/status/alice/changes?include_docs=maybe', { auth: ALICE });
    expect([bad.status, bad.json.error]).toEqual([400, 'request:invalid']);
  });

  it('resumes after a dropped connection without losing or repeating entries while writes continue', async () => {
    const app = `resume-${Date.now()}`;
    const total = 40;
    let writing = true;
    const numbers = (feed: NdjsonFeed, upTo = '\uffff') =>
      feed.lines.filter((l) => l.app_name === app && l.seq <= upTo).map((l) => Number(l.doc.message));
    // Opened before the first write: a feed without `since` starts from now, and an entry written
    // while it was opening may be replayed by a resume (it was never sent), out of this order.
    const first = await open(ALICE, '?include_docs=true');
    const writer = (async () => {
      for (let i = 0; i < total; i += 1) {
        await status.append(entry('alice', { app_name: app, message: String(i) }));
        await sleep(15);
      }
      writing = false;
    })();
    await first.waitFor((f) => numbers(f).length >= 5);
    first.close();
    const token = first.seq!;
    await sleep(200); // writes go on while the client is away
    expect(writing).toBe(true);
    const second = await open(ALICE, `?include_docs=true&since=${token}`);
    await writer;
    await second.waitFor((f) => numbers(f).includes(total - 1));
    await sleep(300);
    const combined = [...numbers(first, token), ...numbers(second)];
    expect(numbers(second).length).toBeGreaterThan(5);
    expect(combined).toEqual(Array.from({ length: total - combined[0] }, (_, i) => combined[0] + i));
  });

  it('speaks Server-Sent Events to a real EventSource, which resumes by Last-Event-ID across closed connections', async () => {
    const app = `sse-${Date.now()}`;
    const before = await status.append(entry('alice', { app_name: app, message: 'before' }));
    // Every connection ends after 700 ms; EventSource reconnects by itself with Last-Event-ID.
    const source = new EventSource(`${harness.baseUrl}/1/status/alice/changes?include_docs=true&timeout=700`, {
      headers: { authorization: basic(ALICE), 'Last-Event-ID': before.cursor },
    });
    const events: MessageEvent[] = [];
    let ends = 0;
    source.onmessage = (event) => events.push(event);
    source.addEventListener('end', () => (ends += 1));
    const written = [];
    for (let i = 0; i < 12; i += 1) {
      written.push(await status.append(entry('alice', { app_name: app, message: String(i) })));
      await sleep(250);
    }
    const started = Date.now();
    while (events.length < written.length && Date.now() - started < 8_000) await sleep(20);
    source.close();
    expect(ends).toBeGreaterThanOrEqual(1); // at least one reconnect happened mid-stream
    expect(events.map((event) => event.lastEventId.split('~').at(-1))).toEqual(written.map((w) => w.cursor));
    expect(events.map((event) => JSON.parse(event.data).doc.message)).toEqual(written.map((_, i) => String(i)));
  });

  it('sends SSE frames with id: lines and : heartbeats, and NDJSON newline heartbeats', async () => {
    const written = await status.append(entry('alice', { app_name: 'frames' }));
    const response = await fetch(`${harness.baseUrl}/1/status/alice/changes?since=${Number(written.cursor.slice(0, 15)) - 1}`, {
      headers: { authorization: basic(ALICE), accept: 'text/event-stream' },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-api-uuid')).toMatch(/^[0-9a-f-]{36}$/);
    const reader = response.body!.getReader();
    let text = '';
    const until = Date.now() + 3_000;
    while (!text.includes(': heartbeat') && Date.now() < until) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toMatch(new RegExp(`id: (\\S*~)?${written.cursor}\\ndata: \\{`));
    expect(text).toContain(': heartbeat\n\n');
    const ndjson = await open(ALICE);
    await ndjson.waitFor((f) => f.heartbeats >= 1, 3_000);
  });

  it('does not let a client that stops reading delay another', async () => {
    const slow = await fetch(`${harness.baseUrl}/1/status/alice/changes?include_docs=true`, { headers: { authorization: basic(ALICE) } });
    expect(slow.status).toBe(200); // and never read from again
    const fast = await open(ALICE, '?include_docs=true');
    const big = 'x'.repeat(20_000);
    const started = Date.now();
    for (let i = 0; i < 60; i += 1) await status.append(entry('alice', { app_name: 'flood', message: big }));
    await fast.waitFor((f) => f.lines.filter((l) => l.app_name === 'flood').length === 60);
    expect(Date.now() - started).toBeLessThan(8_000);
    await slow.body?.cancel();
  });

  it('answers one entry by id and closes; 404 status:db:not_found for an unknown one', async () => {
    const written = await status.append(
      entry('alice', { status: 'error', error: { code: 'deploy:receiver:start_app', message: 'receiver said ERROR' } }),
    );
    const one = await harness.request('GET', `/1/status/alice/changes/${written._id}`, { auth: ALICE });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({
      seq: written.cursor,
      status: 'error',
      doc: { id: written._id, error: { code: 'deploy:receiver:start_app' } },
    });
    const missing = await harness.request('GET', '/1/status/alice/changes/dep_nope:001', { auth: ALICE });
    expect([missing.status, missing.json.error]).toEqual([404, 'status:db:not_found']);
    const notHers = await harness.request('GET', `/1/status/bob/changes/${written._id}`, { auth: BOB });
    expect(notHers.status).toBe(404);
  });

  it('ends with status:changes:timeout and a resume token when the requested time is up', async () => {
    const feed = await open(ALICE, '?timeout=400');
    await feed.waitFor((f) => f.ended, 3_000);
    expect(feed.lines.at(-1)).toMatchObject({ error: 'status:changes:timeout', seq: expect.stringMatching(/^\d{15}/) });
  });

  it('keeps one change stream for all clients and loses nothing when that stream breaks', async () => {
    const hub = harness.gateway!.get(FeedHub);
    const feed = await open(ALICE);
    expect(hub.clientCount).toBeGreaterThanOrEqual(1);
    await (hub as unknown as { stream: { close(): Promise<void> } }).stream.close();
    const during = await status.append(entry('alice', { app_name: 'outage' }));
    await feed.waitFor((f) => f.lines.some((l) => l.seq?.endsWith(during.cursor)), 8_000);
    const after = await status.append(entry('alice', { app_name: 'outage' }));
    await feed.waitFor((f) => f.lines.some((l) => l.seq?.endsWith(after.cursor)), 8_000);
    expect(feed.lines.filter((l) => l.app_name === 'outage')).toHaveLength(2);
  });
});
