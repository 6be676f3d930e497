import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { ChangeStream } from 'mongodb';
import { AppRecord, AppsRepository, appsForRepository } from './apps.repository';

/** Without a working change stream, how long a user's apps are served from memory before a fresh read. */
export const APP_CACHE_TTL_MS = 5_000;
/** Pause after an empty read of the change stream: a write elsewhere shows within about this. */
const IDLE_POLL_MS = 100;
/** Users whose apps are held at once; the oldest loaded goes first beyond that. */
const MAX_USERS = 10_000;

/**
 * The intake's app configuration, from memory: a push must not wait for a MongoDB
 * read. A user's apps are read once, whole (one read serves every repository, configured or
 * not), and dropped again by
 * - every write through AppsRepository in this process (a PUT, PATCH …/env, a rollback's lock,
 *   an unlock), before the write answers, so a push after it through this gateway sees it;
 * - the `apps` change stream, for writes made elsewhere (another gateway, the worker removing an
 *   undeployed app), within about IDLE_POLL_MS of their commit;
 * - and APP_CACHE_TTL_MS, while the change stream is not known to be open (opening, broken,
 *   or a server without change streams), so nothing is ever staler than that.
 * Opened lazily: a process that never asks (the worker) opens no change stream.
 */
@Injectable()
export class AppConfigCache implements OnModuleDestroy {
  private readonly logger = new Logger(AppConfigCache.name);
  private readonly users = new Map<string, { records: Promise<AppRecord[]>; loadedAt: number; watched: boolean }>();
  private stream?: ChangeStream<AppRecord>;
  private watching = false;
  private closed = false;
  private running?: Promise<void>;

  constructor(private readonly apps: AppsRepository) {
    apps.onWrite((user) => this.forget(user));
  }

  /** The apps a push to `repository` deploys (as AppsRepository.allByRepository answers them). */
  async allForRepository(user: string, repository: string): Promise<AppRecord[]> {
    this.running ??= this.follow();
    let entry = this.users.get(user);
    if (!entry || (!entry.watched && Date.now() - entry.loadedAt > APP_CACHE_TTL_MS)) {
      const loaded = { records: this.apps.listForUser(user), loadedAt: Date.now(), watched: this.watching };
      this.users.delete(user); // re-inserted last: the Map's order is load order
      this.users.set(user, loaded);
      if (this.users.size > MAX_USERS) this.users.delete(this.users.keys().next().value!);
      loaded.records.catch(() => this.users.get(user) === loaded && this.users.delete(user));
      entry = loaded;
    }
    return appsForRepository(await entry.records, user, repository);
  }

  /** The user's apps changed: the next push reads them again (a read in flight is dropped too). */
  forget(user: string): void {
    this.users.delete(user);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    await this.stream?.close().catch(() => undefined);
    await this.running;
  }

  /** One change stream on `apps` for the life of the process, reopened after failures. */
  private async follow(): Promise<void> {
    let backoffMs = 250;
    while (!this.closed) {
      const stream = (this.stream = this.apps.watchChanges());
      try {
        const first = await stream.tryNext(); // open on the server: from here on, no write is missed
        // Entries loaded before the stream opened may predate a write it will never report.
        this.users.clear();
        this.watching = true;
        if (first) this.changed(first);
        backoffMs = 250;
        // Not `for await`: a server that answers an empty getMore at once (mongo-java-server) would
        // be polled in a busy loop, half a core on each side; a pause between empty answers bounds it.
        while (!this.closed) {
          const change = await stream.tryNext();
          if (change) this.changed(change);
          else await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS).unref());
        }
      } catch (error) {
        if (this.closed) break;
        this.logger.warn(
          `apps change stream broke, serving apps for at most ${APP_CACHE_TTL_MS} ms meanwhile: ${(error as Error).message}`,
        );
      }
      this.watching = false;
      // Entries trusted to the stream fall back to the TTL from their load time.
      for (const entry of this.users.values()) entry.watched = false;
      await stream.close().catch(() => undefined);
      if (this.closed) break;
      await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
      backoffMs = Math.min(backoffMs * 2, 30_000);
    }
  }

  private changed(change: { documentKey?: { _id?: unknown } } | object): void {
    const id = (change as { documentKey?: { _id?: unknown } }).documentKey?._id;
    if (typeof id === 'string') this.forget(id.slice(0, id.lastIndexOf('/')));
    else this.users.clear(); // drop, rename, invalidate: nothing held can be trusted
  }
}
