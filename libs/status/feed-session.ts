import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { ApiError } from '../errors';
import { FeedOptions, FeedSubscriber } from './feed-hub';
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
  lifetimeMs: number;
  options: FeedOptions;
}

/** Reads a page of the user's entries with `after < cursor < before`, oldest first. */
export type CatchUpReader = (after: string, before: string, limit: number) => Promise<StatusEntry[]>;

/**
 * One connected feed client. Until it has caught up from the collection (entries after its
 * `since`, below the hub's watermark) it holds the live entries the hub hands it, then sends
 * them, skipping any the catch-up already sent. Every line carries `seq`, the highest cursor
 * sent so far: resuming from it misses nothing and repeats nothing. Writes never wait, so a slow
 * client cannot hold up the hub; one whose unsent bytes pass the buffer bound is closed with a
 * final line carrying its token.
 */
export class FeedSession implements FeedSubscriber {
  readonly user: string;
  private state: 'catching_up' | 'live' | 'closed' = 'catching_up';
  private held: StatusEntry[] = [];
  private seq: string;
  private catchUpEnd: string;
  private out?: Writable;
  private watermark = '';
  private firstPage: StatusEntry[] = [];
  private heartbeatTimer?: NodeJS.Timeout;
  private lifetimeTimer?: NodeJS.Timeout;

  constructor(private readonly settings: FeedSessionSettings, private readonly readPage: CatchUpReader, private readonly onClose: (session: FeedSession) => void) {
    this.user = settings.user;
    this.seq = settings.since ?? '';
    this.catchUpEnd = this.seq;
  }

  /** Reads the first catch-up page before the response starts, so a failing query still gets a status code. */
  async prepare(watermark: string): Promise<void> {
    this.watermark = watermark;
    // Without `since` the feed starts now: resuming from the watermark repeats nothing.
    if (this.settings.since === undefined) this.seq = watermark;
    else this.firstPage = await this.readPage(this.settings.since, watermark, CATCH_UP_PAGE);
  }

  /** Starts writing to the (already answered 200) response. */
  start(out: Writable): void {
    this.out = out;
    if (this.state === 'closed') return void out.end(); // the hub shut down while the response was being prepared
    // The client left while the feed was opening: its 'close' has fired already and will not again.
    if (out.destroyed) return this.close();
    out.once('close', () => this.close());
    this.heartbeatTimer = setInterval(() => this.write(heartbeat(this.settings.framing)), this.settings.options.heartbeatMs);
    this.lifetimeTimer = setTimeout(
      () => this.end(new ApiError('status:changes:timeout', 408, 'This feed reached its time limit. Reconnect with since=<seq> to continue.')),
      this.settings.lifetimeMs,
    );
    void this.catchUp().catch(() => this.end(new ApiError('status:changes:fatal', 500, 'The status log could not be read. Reconnect with since=<seq> to continue.')));
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
    out.write(frameEnd(this.settings.framing, { error: error.code, message: error.message, uuid: this.settings.uuid, seq: this.seq || undefined }));
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
      if (this.state === 'closed' || page.length < CATCH_UP_PAGE) break;
      if (this.out!.writableNeedDrain) await once(this.out!, 'drain');
      page = await this.readPage(page[page.length - 1].cursor, this.watermark, CATCH_UP_PAGE);
    }
    if (this.state !== 'catching_up') return;
    this.catchUpEnd = this.seq;
    const held = this.held;
    this.held = [];
    this.state = 'live';
    for (const entry of held) this.sendLive(entry);
  }

  /** Live entries at or below what the catch-up (or `since`) covered were sent already. */
  private sendLive(entry: StatusEntry): void {
    if (entry.cursor > this.catchUpEnd) this.send(entry);
  }

  private send(entry: StatusEntry): void {
    if (entry.cursor > this.seq) this.seq = entry.cursor;
    this.write(frameLine(this.settings.framing, changeLine(entry, this.seq, this.settings.include, this.settings.options.publicUrl)));
    if ((this.out?.writableLength ?? 0) > this.settings.options.clientBufferBytes) this.endLagging();
  }

  private write(chunk: string): void {
    if (this.state !== 'closed') this.out?.write(chunk);
  }

  private endLagging(): void {
    this.end(new ApiError('status:changes:timeout', 408, 'You fell too far behind the feed. Reconnect with since=<seq> to continue.'));
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
