import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, Errors } from '../errors';
import { parseSince } from './changes-cursor';
import { FEED_OPTIONS, FeedHub, FeedOptions } from './feed-hub';
import { ChangeLine, changeLine, FeedFraming, IncludeDocs } from './feed-lines';
import { FeedLeases } from './feed-leases';
import { FeedSession } from './feed-session';
import { StatusRepository } from './status.repository';
import { StatusService } from './status.service';

export interface OpenFeed {
  user: string;
  uuid: string;
  framing: FeedFraming;
  include: IncludeDocs;
  /** `since` query parameter or, failing that, the SSE `Last-Event-ID` header. */
  since?: string;
  timeoutMs?: number;
  /** Only entries of these apps (a collaborator watching the owner's feed, docs/contract.md#collaborators). */
  apps?: string[];
  /** Whose feeds the lease counts (FEED_MAX_PER_USER); default `user`. */
  caller?: string;
}

/** The changes feed (docs/contract.md#the-changes-feed): opening a live feed for a user, and one entry by id. */
@Injectable()
export class ChangesService {
  private readonly logger = new Logger(ChangesService.name);

  constructor(
    private readonly hub: FeedHub,
    private readonly repository: StatusRepository,
    private readonly status: StatusService,
    private readonly leases: FeedLeases,
    @Inject(FEED_OPTIONS) private readonly options: FeedOptions,
  ) {}

  /**
   * Takes a lease for the feed (FEED_MAX_PER_USER over every gateway), registers the client and
   * reads its first catch-up page; failures here still get a status code, and give the lease back.
   */
  async open(request: OpenFeed): Promise<FeedSession> {
    const since = request.since === undefined ? undefined : parseSince(request.since);
    if (since === null) throw ApiError.of(Errors.requestInvalid, 'since must be a seq value from this feed (or a time in milliseconds).');
    const lease = await this.leases.take(request.caller ?? request.user);
    const session = new FeedSession(
      {
        user: request.user,
        uuid: request.uuid,
        framing: request.framing,
        include: request.include,
        since,
        apps: request.apps && new Set(request.apps),
        lifetimeMs: Math.min(request.timeoutMs ?? this.options.maxDurationMs, this.options.maxDurationMs),
        options: this.options,
      },
      (after, before, limit) => this.repository.entriesBetween(request.user, after, before, limit),
      (closed) => {
        this.hub.unsubscribe(closed);
        this.leases.release(lease);
      },
      () => this.hub.horizon,
    );
    const watermark = await this.hub.subscribe(session).catch((error: Error) => {
      this.leases.release(lease);
      throw error;
    });
    try {
      await session.prepare(watermark);
    } catch (error) {
      this.hub.unsubscribe(session);
      this.leases.release(lease);
      this.logger.error(`feed catch-up query failed: ${(error as Error).message}`);
      throw ApiError.of(Errors.statusDbQueryFail, 'The database could not read your status log. Try again shortly.');
    }
    return session;
  }

  async one(user: string, id: string, include: IncludeDocs, apps?: string[]): Promise<ChangeLine> {
    const entry = await this.status.find(user, id, apps);
    return changeLine(entry, entry.cursor, include, this.options.publicUrl);
  }
}
