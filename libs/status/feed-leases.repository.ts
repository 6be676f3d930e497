import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { createIndexes, InjectDb } from '../persistence';

/** One open changes feed, held by the gateway that serves it; past `expiresAt` it no longer counts. */
export interface FeedLeaseRecord {
  _id: string;
  user: string;
  /** The gateway process holding it (for operators reading the collection). */
  gateway: string;
  expiresAt: Date;
}

/**
 * The only code touching `feed_leases`: the open changes feeds of every gateway, counted against
 * FEED_MAX_PER_USER (docs/reliability.md#limits-across-gateways). Expired leases are
 * deleted by the gateways, not by a TTL index: mongo-java-server, the test and `npm start`
 * database, has no TTL monitor.
 */
@Injectable()
export class FeedLeasesRepository {
  private readonly leases: Collection<FeedLeaseRecord>;

  constructor(@InjectDb() db: Db) {
    this.leases = db.collection<FeedLeaseRecord>('feed_leases');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.leases, [[{ user: 1, expiresAt: 1 }], [{ expiresAt: 1 }]]);
  }

  /**
   * Takes the lease unless its user would then hold more than `max` unexpired ones. Two takes at
   * once may both be refused near the cap, never both kept over it: each counts after inserting.
   */
  async take(lease: FeedLeaseRecord, now: Date, max: number): Promise<boolean> {
    await this.leases.insertOne(lease);
    if ((await this.leases.countDocuments({ user: lease.user, expiresAt: { $gt: now } })) <= max) return true;
    await this.leases.deleteOne({ _id: lease._id });
    return false;
  }

  /** Moves the expiry of these leases on; one the sweep removed meanwhile is written again. */
  async renew(leases: Array<Omit<FeedLeaseRecord, 'expiresAt'>>, expiresAt: Date): Promise<void> {
    if (leases.length === 0) return;
    await this.leases.bulkWrite(
      leases.map(({ _id, user, gateway }) => ({
        updateOne: { filter: { _id }, update: { $set: { user, gateway, expiresAt } }, upsert: true },
      })),
      { ordered: false },
    );
  }

  async remove(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.leases.deleteMany({ _id: { $in: ids } });
  }

  /** Removes leases expired before `before` (those of a gateway that stopped without closing its feeds). */
  async removeExpired(before: Date): Promise<number> {
    return (await this.leases.deleteMany({ expiresAt: { $lt: before } })).deletedCount;
  }
}
