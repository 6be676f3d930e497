import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ApiError, Errors } from '../errors';
import { FeedOptions, FeedSubscriber } from './feed-hub';
import { MAX_LISTED, splitToken } from './changes-cursor';
import { changeLine, FeedFraming, frameEnd, frameLine, heartbeat, IncludeDocs } from './feed-lines';
import { StatusEntry } from './status-entry';

export const CATCH_UP_PAGE = 200;
/** Live entries held while a client catches up; more means it is too far behind. */
const MAX_HELD = 10_000;
/** A closed feed whose client does not read its last bytes is cut after this. */
const END_GRACE_MS = 10_000;

export interface FeedSessionSettings {
  user: string;
  uuid: string;
  framing: FeedFraming;
  include: IncludeDocs;
  /** The client's resume token, normalised (see changes-cursor.ts). */
  since?: string;
  /** Only entries of these apps are written (the others still move the resume token on). */
  apps?: ReadonlySet<string>;
  lifetimeMs: number;
  options: FeedOptions;
}

/** Reads a page of the user's entries with `after < cursor < before`, oldest first. */
export type CatchUpReader = (after: string, before: string, limit: number) => Promise<StatusEntry[]>;

/**
 * One connected feed client. Until it has caught up from the collection (entries after its
 * `since`, up to now) it holds the live entries the hub hands it, then sends them, skipping any
 * the catch-up already sent. Live entries go out in the change stream's order, at once.
 *
 * Every line carries `seq`, a resume token: resuming from it misses nothing and repeats nothing.
 * It is the highest cursor sent while that is below the hub's horizon (everything below the
 * horizon has been dispatched); above it, stream order and cursor order may differ (two writers,
 * the later cursor committed first), so the token is the horizon followed by the cursors sent
 * above it: `<horizon>~<cursor>~<cursor>`. Writes never wait, so a slow client cannot hold up
 * the hub; one whose unsent bytes pass the buffer bound is closed with a final line carrying
 * its token.
 */
export class FeedSession implements FeedSubscriber {
  readonly user: string;
  private state: 'catching_up' | 'live' | 'closed' = 'catching_up';
  private held: StatusEntry[] = [];
  /** The client has every entry with a cursor up to `base`, and those in `above`. */
  private base: string;
  private readonly above = new Set<string>();
  private maxSent: string;
  private seq: string;
  private out?: Writable;
  /** The hub's horizon when this client registered: the catch-up's claims stop there. */
  private watermark = '';
  private firstPage: StatusEntry[] = [];
  private heartbeatTimer?: NodeJS.Timeout;
  private lifetimeTimer?: NodeJS.Timeout;

  /** `horizon`: the hub's, now (FeedHub.horizon); the default suits a hub that holds nothing back. */
  constructor(
    private readonly settings: FeedSessionSettings,
    private readonly readPage: CatchUpReader,
    private readonly onClose: (session: FeedSession) => void,
    private readonly horizon: () => string = () => '\uffff',
  ) {
    this.user = settings.user;
    const { base, seen } = splitToken(settings.since ?? '');
    this.base = base;
    for (const cursor of seen) if (cursor > base) this.above.add(cursor);
    this.maxSent = [base, ...this.above].reduce((a, b) => (b > a ? b : a));
    this.seq = settings.since ?? '';
  }

  /** Reads the first catch-up page before the response starts, so a failing query still gets a status code. */
  async prepare(watermark: string): Promise<void> {
    this.watermark = watermark;
    // Without `since` the feed starts now: what was committed before is not part of it.
    if (this.settings.since === undefined) {
      this.base = this.maxSent = this.seq = watermark;
    } else this.firstPage = await this.unseen(this.base);
  }

  /** A catch-up page after `after`, up to now, without what the client has already. */
  private async unseen(after: string): Promise<StatusEntry[]> {
    const page = await this.readPage(after, '\uffff', CATCH_UP_PAGE);
    this.lastPageFull = page.length === CATCH_UP_PAGE;
    this.lastPageEnd = page.at(-1)?.cursor;
    return page.filter((entry) => !this.above.has(entry.cursor));
  }

  private lastPageFull = false;
  private lastPageEnd?: string;

  /** Starts writing to the (already answered 200) response. */
  start(out: Writable): void {
    this.out = out;
    if (this.state === 'closed') return void out.end(); // the hub shut down while the response was being prepared
    // The client left while the feed was opening: its 'close' has fired already and will not again.
    if (out.destroyed) return this.close();
    out.once('close', () => this.close());
    this.heartbeatTimer = setInterval(() => this.write(heartbeat(this.settings.framing)), this.settings.options.heartbeatMs);
    this.lifetimeTimer = setTimeout(
      () => this.end(ApiError.of(Errors.statusChangesTimeout, 'This feed reached its time limit. Reconnect with since=<seq> to continue.')),
      this.settings.lifetimeMs,
    );
    void this.catchUp().catch(() =>
      this.end(ApiError.of(Errors.statusChangesFatal, 'The status log could not be read. Reconnect with since=<seq> to continue.')),
    );
  }

  deliver(entry: StatusEntry): void {
    if (this.state === 'live') this.sendLive(entry);
    else if (this.state === 'catching_up') {
      this.held.push(entry);
      if (this.held.length > MAX_HELD) this.endLagging();
    }
  }

  end(error: ApiError): void {
    if (this.state === 'closed') return;
    const out = this.out;
    this.close();
    if (!out) return;
    out.write(
      frameEnd(this.settings.framing, { error: error.code, message: error.message, uuid: this.settings.uuid, seq: this.seq || undefined }),
    );
    out.end();
    setTimeout(() => out.destroy(), END_GRACE_MS).unref();
  }

  get resumeToken(): string {
    return this.seq;
  }

  private async catchUp(): Promise<void> {
    let page = this.firstPage;
    this.firstPage = [];
    for (;;) {
      for (const entry of page) this.send(entry);
      if (this.state === 'closed' || !this.lastPageFull) break;
      if (this.out!.writableNeedDrain) await once(this.out!, 'drain');
      page = await this.unseen(this.lastPageEnd!);
    }
    if (this.state !== 'catching_up') return;
    const held = this.held;
    this.held = [];
    this.state = 'live';
    for (const entry of held) this.sendLive(entry);
  }

  /** Live entries the client has (from `since` or the catch-up) are not sent again. */
  private sendLive(entry: StatusEntry): void {
    if (entry.cursor > this.base && !this.above.has(entry.cursor)) this.send(entry);
  }

  private send(entry: StatusEntry): void {
    this.above.add(entry.cursor);
    if (entry.cursor > this.maxSent) this.maxSent = entry.cursor;
    this.seq = this.token();
    if (this.settings.apps && !this.settings.apps.has(entry.app_name)) return;
    this.write(frameLine(this.settings.framing, changeLine(entry, this.seq, this.settings.include, this.settings.options.publicUrl)));
    if ((this.out?.writableLength ?? 0) > this.settings.options.clientBufferBytes) this.endLagging();
  }

  /**
   * What the client has, as a token. Everything below the horizon has been dispatched to it (the
   * catch-up: below the horizon it started from). The base never moves back.
   */
  private token(): string {
    const horizon = this.state === 'live' ? this.horizon() : this.watermark;
    const base = this.maxSent < horizon ? this.maxSent : horizon;
    if (base > this.base) this.base = base;
    for (const cursor of this.above) if (cursor <= this.base) this.above.delete(cursor);
    if (this.above.size > MAX_LISTED) {
      // A user writing this fast within FEED_SETTLE: the oldest listed ones may come again on resume.
      const sorted = [...this.above].sort();
      this.base = sorted[sorted.length - MAX_LISTED - 1];
      for (const cursor of sorted.slice(0, sorted.length - MAX_LISTED)) this.above.delete(cursor);
    }
    return [this.base, ...[...this.above].sort()].join('~');
  }

  private write(chunk: string): void {
    if (this.state !== 'closed') this.out?.write(chunk);
  }

  private endLagging(): void {
    this.end(ApiError.of(Errors.statusChangesTimeout, 'You fell too far behind the feed. Reconnect with since=<seq> to continue.'));
  }

  /** The client went away (or the feed ended): stop everything, tell the hub. */
  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.held = [];
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.lifetimeTimer);
    this.onClose(this);
  }
}
