import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ApiError, Errors, storeCall } from '../errors';
import { FEED_OPTIONS, FeedOptions } from './feed-hub';
import { FeedLeasesRepository } from './feed-leases.repository';

/** A lease lasts this many renewal periods (FEED_HEARTBEAT): one missed renewal does not drop it. */
const LEASE_PERIODS = 3;

/**
 * FEED_MAX_PER_USER over every gateway (docs/reliability.md#limits-across-gateways): each
 * open feed holds a lease in MongoDB that this gateway renews every FEED_HEARTBEAT and removes
 * when the feed closes. A lease past its expiry does not count, so the feeds of a gateway that
 * crashed stop counting after at most LEASE_PERIODS heartbeats.
 */
@Injectable()
export class FeedLeases implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(FeedLeases.name);
  private readonly gateway = randomBytes(6).toString('hex');
  /** Lease id → user, for the feeds open on this gateway. */
  private readonly held = new Map<string, string>();
  /** Leases of closed feeds not yet removed (the store may have been down): retried every renewal. */
  private readonly released = new Set<string>();
  private readonly leaseMs: number;
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;

  constructor(
    private readonly repository: FeedLeasesRepository,
    @Inject(FEED_OPTIONS) private readonly options: FeedOptions,
  ) {
    this.leaseMs = LEASE_PERIODS * options.heartbeatMs;
  }

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes();
    this.timer = setInterval(() => void this.renew(), this.options.heartbeatMs);
    this.timer.unref();
  }

  /** A lease for one more feed of `user`, or 429 when the user holds FEED_MAX_PER_USER already. */
  async take(user: string): Promise<string> {
    const id = randomBytes(12).toString('hex');
    const now = Date.now();
    const lease = { _id: id, user, gateway: this.gateway, expiresAt: new Date(now + this.leaseMs) };
    const taken = await storeCall(
      Errors.statusDbQueryFail,
      () =>
        this.repository.take(lease, new Date(now), this.options.maxPerUser).catch((error: Error) => {
          this.released.add(id); // it may have been inserted before the failure
          throw error;
        }),
      {
        log: 'feed lease not taken',
        logger: this.logger,
        message: 'The database could not count your open changes feeds. Try again shortly.',
      },
    );
    if (!taken) {
      throw ApiError.of(
        Errors.statusChangesTooMany,
        `${user} has ${this.options.maxPerUser} changes feeds open already (on every gateway together), the most it takes (FEED_MAX_PER_USER); close one or share one feed between your clients.`,
      );
    }
    this.held.set(id, user);
    return id;
  }

  /** The feed closed: its lease goes now (or at the next renewal, if the store does not answer). */
  release(id: string): void {
    if (!this.held.delete(id)) return;
    this.released.add(id);
    void this.removeReleased();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    for (const id of this.held.keys()) this.released.add(id);
    this.held.clear();
    await this.removeReleased();
  }

  /** Renews the held leases, then removes released ones (again: a renewal may have written one back) and expired ones. */
  private renew(): Promise<void> {
    this.renewing ??= (async () => {
      const now = Date.now();
      const leases = [...this.held].map(([_id, user]) => ({ _id, user, gateway: this.gateway }));
      await this.repository.renew(leases, new Date(now + this.leaseMs));
      for (const { _id } of leases) if (!this.held.has(_id)) this.released.add(_id); // closed meanwhile, maybe written back
      await this.removeReleased();
      await this.repository.removeExpired(new Date(now));
    })()
      .catch((error: Error) => this.logger.warn(`feed leases not renewed (next try in ${this.options.heartbeatMs} ms): ${error.message}`))
      .finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async removeReleased(): Promise<void> {
    const ids = [...this.released];
    try {
      await this.repository.remove(ids);
      for (const id of ids) this.released.delete(id);
    } catch (error) {
      this.logger.warn(`closed feeds' leases not removed yet: ${(error as Error).message}`);
    }
  }
}
