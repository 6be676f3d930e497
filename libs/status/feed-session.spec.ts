import { Writable } from 'node:stream';
import { newCursor } from './changes-cursor';
import { FeedOptions } from './feed-hub';
import { CATCH_UP_PAGE, FeedSession } from './feed-session';
import { StatusEntry } from './status-entry';

const options: FeedOptions = {
  heartbeatMs: 60_000,
  settleMs: 0,
  clientBufferBytes: 2_048,
  maxDurationMs: 60_000,
  maxPerUser: 50,
  publicUrl: 'http://gw',
};

function entryAt(ms: number, n: number): StatusEntry {
  return {
    _id: `dep:${n}`,
    uuid: 'u',
    user: 'alice',
    app_name: 'a',
    deployment: 'dep',
    status: 'ok',
    step: 's',
    provider: 'api',
    commit: 'o/r/c',
    ts: new Date(ms),
    cursor: newCursor(ms),
    message: String(n),
  };
}

/** A client that never reads: everything written stays buffered. */
function stalledClient(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({ highWaterMark: 64, write: () => undefined }); // never calls back: nothing drains
  const originalWrite = out.write.bind(out);
  out.write = ((chunk: string) => (chunks.push(chunk), originalWrite(chunk))) as typeof out.write;
  return { out, text: () => chunks.join('') };
}

function collectingClient(): { out: Writable; lines: () => any[] } {
  let text = '';
  const out = new Writable({ write: (chunk, _encoding, callback) => ((text += String(chunk)), callback()) });
  return {
    out,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  };
}

describe('FeedSession', () => {
  it('closes a client whose unread bytes pass the bound, with a final line carrying its resume token', async () => {
    const closed: FeedSession[] = [];
    const session = new FeedSession(
      { user: 'alice', uuid: 'req', framing: 'ndjson', include: 'true', lifetimeMs: 60_000, options },
      async () => [],
      (s) => closed.push(s),
    );
    await session.prepare(newCursor(0));
    const client = stalledClient();
    session.start(client.out);
    await new Promise((resolve) => setImmediate(resolve));
    let delivered = 0;
    while (closed.length === 0 && delivered < 100) session.deliver(entryAt(1_000 + delivered, delivered++));
    expect(closed).toEqual([session]);
    expect(delivered).toBeLessThan(20);
    const last = JSON.parse(client.text().trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ error: 'status:changes:timeout', seq: session.resumeToken });
    session.deliver(entryAt(5_000, 999)); // after closing: ignored
    expect(client.text()).not.toContain('"999"');
  });

  it('pages through the catch-up, then sends held live entries it has not sent yet, in order', async () => {
    const history = Array.from({ length: CATCH_UP_PAGE + 5 }, (_, i) => entryAt(1_000 + i, i));
    const watermark = newCursor(50_000);
    const reads: string[] = [];
    const session = new FeedSession(
      { user: 'alice', uuid: 'req', framing: 'ndjson', include: 'false', since: '0'.padStart(15, '0'), lifetimeMs: 60_000, options },
      async (after, before, limit) => (reads.push(after), history.filter((e) => e.cursor > after && e.cursor < before).slice(0, limit)),
      () => undefined,
    );
    await session.prepare(watermark);
    session.deliver(history[history.length - 1]); // also seen live while catching up: sent once
    const live = entryAt(60_000, 1_000);
    session.deliver(live);
    const client = collectingClient();
    session.start(client.out);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const seqs = client.lines().map((line) => line.seq);
    expect(seqs).toEqual([...history.map((e) => e.cursor), live.cursor]);
    expect(reads).toHaveLength(2);
    client.out.emit('close');
  });

  it('sends live entries in stream order at once; a token taken between two out-of-order entries resumes without a miss or a repeat', async () => {
    const [a, b, c] = [entryAt(10_000, 1), entryAt(10_001, 2), entryAt(10_002, 3)]; // cursor order a < b < c
    const horizon = newCursor(5_000).slice(0, 15); // all three still above the hub's horizon
    const session = new FeedSession(
      { user: 'alice', uuid: 'req', framing: 'ndjson', include: 'false', lifetimeMs: 60_000, options },
      async () => [],
      () => undefined,
      () => horizon,
    );
    await session.prepare(horizon);
    const client = collectingClient();
    session.start(client.out);
    await new Promise((resolve) => setImmediate(resolve));
    session.deliver(b); // b committed first: sent at once, not held for a
    const afterB = session.resumeToken;
    session.deliver(a);
    expect(client.lines().map((line) => line.id.split('/').at(-1))).toEqual([b._id, a._id]);
    expect(afterB).toBe(`${horizon}~${b.cursor}`);
    expect(session.resumeToken).toBe(`${horizon}~${a.cursor}~${b.cursor}`);
    client.out.emit('close');

    // Resuming from the token taken after b: a and c come, b does not come again.
    const resumed = new FeedSession(
      { user: 'alice', uuid: 'req2', framing: 'ndjson', include: 'false', since: afterB, lifetimeMs: 60_000, options },
      async (after, before, limit) => [a, b, c].filter((e) => e.cursor > after && e.cursor < before).slice(0, limit),
      () => undefined,
      () => '\uffff',
    );
    await resumed.prepare(newCursor(20_000).slice(0, 15)); // by now the hub's horizon has passed all three
    const second = collectingClient();
    resumed.start(second.out);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(second.lines().map((line) => line.id.split('/').at(-1))).toEqual([a._id, c._id]);
    expect(resumed.resumeToken).toBe(c.cursor); // all settled: the token is a plain cursor again
    second.out.emit('close');
  });
});
