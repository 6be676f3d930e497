import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ApiError, Errors } from '../errors';
import { cursorAt } from './changes-cursor';
import { StatusEntry } from './status-entry';
import { StatusInsertStream, StatusRepository } from './status.repository';

export interface FeedOptions {
  heartbeatMs: number;
  /**
   * How long after its cursor was taken an entry is assumed committed and seen by the change
   * stream. Entries go out the moment the stream shows them (its own order); settleMs only
   * bounds the resume tokens (FeedSession): below `horizon`, a client has everything.
   */
  settleMs: number;
  clientBufferBytes: number;
  maxDurationMs: number;
  /** Live feeds one user may hold open at once, on every gateway together (FeedLeases); more are refused (429). */
  maxPerUser: number;
  /** The gateway's public URL, for the `id` links of feed lines. */
  publicUrl: string;
}
export const FEED_OPTIONS = Symbol('FEED_OPTIONS');

/** One connected feed client, as the hub sees it. */
export interface FeedSubscriber {
  readonly user: string;
  /** Called in cursor order (late writers aside); must not block. */
  deliver(entry: StatusEntry): void;
  /** The hub cannot go on (shutdown, or its change stream stayed broken). */
  end(error: ApiError): void;
}

const START_TIMEOUT_MS = 5_000;
const FATAL_AFTER_MS = 30_000;
const REFILL_PAGE = 1_000;

/**
 * The gateway's ONE change stream on the status log, fanned out in process to every connected
 * feed client of the entry's user the moment the stream shows an entry (holding
 * entries to release them in cursor order cost FEED_SETTLE of latency on every line).
 * `watermark` (the horizon) trails the clock by `settleMs`: every entry below it has been
 * dispatched, so a client's resume token may claim everything below it (FeedSession).
 *
 * When the stream breaks, the watermark freezes; the reopened stream is followed by a refill
 * from the collection (cursor >= watermark), so nothing written meanwhile is lost, and `recent`
 * (what was dispatched at or above the watermark) drops what both paths saw.
 */
@Injectable()
export class FeedHub implements OnModuleDestroy {
  private readonly logger = new Logger(FeedHub.name);
  private readonly subscribers = new Map<string, Set<FeedSubscriber>>();
  /** Cursors dispatched at or above the watermark: a refill never sends them twice. */
  private readonly recent = new Set<string>();
  private watermark = '';
  private stream?: StatusInsertStream;
  private running?: Promise<void>;
  private healthy = false;
  private brokenSince?: number;
  private closed = false;
  private flushTimer?: NodeJS.Timeout;
  private healthWaiters: Array<() => void> = [];

  constructor(
    private readonly repository: StatusRepository,
    @Inject(FEED_OPTIONS) private readonly options: FeedOptions,
  ) {}

  /**
   * Registers a client and answers the watermark at that instant. From then on the client
   * receives every entry the stream shows through `deliver`; it catches up from the collection
   * for what was committed before (FeedSession dedupes what both paths bring).
   */
  async subscribe(subscriber: FeedSubscriber): Promise<string> {
    this.start();
    if (!this.healthy && !(await this.waitHealthy(START_TIMEOUT_MS))) {
      throw ApiError.of(Errors.statusChangesFatal);
    }
    let users = this.subscribers.get(subscriber.user);
    if (!users) this.subscribers.set(subscriber.user, (users = new Set()));
    users.add(subscriber);
    return this.watermark;
  }

  unsubscribe(subscriber: FeedSubscriber): void {
    const users = this.subscribers.get(subscriber.user);
    users?.delete(subscriber);
    if (users?.size === 0) this.subscribers.delete(subscriber.user);
  }

  /** Every entry with a cursor below this has been dispatched (or was written before the hub started). */
  get horizon(): string {
    return this.watermark;
  }

  get clientCount(): number {
    let count = 0;
    for (const users of this.subscribers.values()) count += users.size;
    return count;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.flushTimer);
    this.endAll(ApiError.of(Errors.statusChangesTimeout, 'The gateway is restarting. Reconnect with since=<your last seq>.'));
    await this.stream?.close().catch(() => undefined);
    await this.running;
  }

  private start(): void {
    if (this.running || this.closed) return;
    this.watermark = cursorAt(Date.now() - this.options.settleMs);
    const tick = Math.max(10, Math.min(100, Math.floor(this.options.settleMs / 5)));
    this.flushTimer = setInterval(() => this.flush(), tick);
    this.flushTimer.unref();
    this.running = this.follow();
  }

  /** Keeps one change stream open for the life of the process, reopening it after failures. */
  private async follow(): Promise<void> {
    let backoffMs = 250;
    while (!this.closed) {
      const stream = (this.stream = this.repository.watchInserts());
      try {
        const first = await stream.tryNext(); // opens the stream on the server before the refill reads
        await this.refill();
        if (first) this.accept(first.fullDocument);
        this.markHealthy();
        backoffMs = 250;
        for await (const change of stream) this.accept(change.fullDocument);
      } catch (error) {
        if (this.closed) break;
        this.logger.warn(`status change stream broke, reopening: ${(error as Error).message}`);
      }
      this.healthy = false;
      this.brokenSince ??= Date.now();
      await stream.close().catch(() => undefined);
      if (Date.now() - this.brokenSince > FATAL_AFTER_MS) {
        this.endAll(ApiError.of(Errors.statusChangesFatal, 'The changes feed lost the status log. Reconnect with since=<your last seq>.'));
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(backoffMs * 2, 5_000);
    }
  }

  /** Reads what the stream may have missed (written while it was down or opening). */
  private async refill(): Promise<void> {
    let from = this.watermark;
    for (;;) {
      const page = await this.repository.entriesFrom(from, REFILL_PAGE);
      for (const entry of page) this.accept(entry);
      if (page.length < REFILL_PAGE) return;
      from = page[page.length - 1].cursor + '\u0000';
    }
  }

  private accept(entry: StatusEntry | undefined): void {
    if (!entry?.cursor) return; // written before cursors existed: not part of the feed
    if (entry.cursor >= this.watermark) {
      if (this.recent.has(entry.cursor)) return; // seen by both the refill and the stream
      this.recent.add(entry.cursor);
      this.dispatch(entry);
      return;
    }
    // Committed later than settleMs after its cursor was taken: still delivered to connected
    // clients; a client resuming from a token past it would not see it.
    if (!this.healthy) return; // a refill after an outage: dispatched before the outage already
    this.logger.warn(`status entry ${entry._id} arrived ${this.options.settleMs} ms+ late`);
    this.dispatch(entry);
  }

  /** Moves the horizon on (never while the stream is broken: the refill starts from it). */
  private flush(): void {
    if (!this.healthy) return;
    const bound = cursorAt(Date.now() - this.options.settleMs);
    if (bound <= this.watermark) return;
    this.watermark = bound;
    for (const cursor of this.recent) if (cursor < bound) this.recent.delete(cursor);
  }

  private dispatch(entry: StatusEntry): void {
    for (const subscriber of this.subscribers.get(entry.user) ?? []) {
      try {
        subscriber.deliver(entry);
      } catch (error) {
        this.logger.warn(`feed client failed: ${(error as Error).message}`);
      }
    }
  }

  private markHealthy(): void {
    this.healthy = true;
    this.brokenSince = undefined;
    for (const wake of this.healthWaiters.splice(0)) wake();
  }

  private waitHealthy(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.healthy), timeoutMs);
      this.healthWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private endAll(error: ApiError): void {
    for (const users of [...this.subscribers.values()]) for (const subscriber of [...users]) subscriber.end(error);
    this.subscribers.clear();
  }
}
