import { Injectable, OnModuleInit } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { createIndexes, InjectDb } from '../persistence';
import { SecretBox } from '../secrets';
import type { DeploymentEvent } from '../../workflows/types';

/** A subscription of an app to its deployments' events; its URL and secret sealed with SecretBox at rest. */
export interface SubscriptionRecord {
  _id: string;
  user: string;
  app: string;
  url: string;
  events: DeploymentEvent[];
  format: 'json' | 'slack';
  sealedSecret?: string;
  createdAt: Date;
  /** Failed attempts in a row, over all its deliveries, since the last one it accepted. */
  failures?: number;
  failingSince?: Date;
  /** Set when it kept failing (docs/reliability.md#tenant-isolation-review): nothing is sent until it is enabled again. */
  disabledAt?: Date;
  disabledReason?: string;
}

/** One event for one subscription: its body is fixed at creation, so every attempt sends the same bytes. */
export interface DeliveryRecord {
  _id: string; // the X-Deploy-Delivery id
  user: string;
  app: string;
  subscription: string;
  deployment: string;
  event: DeploymentEvent;
  url: string;
  format: 'json' | 'slack';
  body: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** Redeliveries asked through the API; each runs as its own workflow. */
  redeliveries: number;
  redeliveredAt?: Date;
  statusCode?: number;
  lastError?: string;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt?: Date;
}

/** As stored: the URL sealed (a Slack incoming-webhook URL is a credential). `url` only in documents written before sealing. */
type Stored<T extends { url: string }> = Omit<T, 'url'> & { sealedUrl?: string; url?: string };

/** Why a subscription was not added: one of the caps would be passed. */
export type SubscriptionCap = 'app' | 'user';

/** Why a redelivery was not started. */
export type RedeliveryRefusal = 'not_found' | 'pending' | 'rate';

/** The only code touching the `notifications` and `deliveries` collections. */
@Injectable()
export class NotificationsRepository implements OnModuleInit {
  private readonly subscriptions: Collection<Stored<SubscriptionRecord>>;
  private readonly deliveries: Collection<Stored<DeliveryRecord>>;

  constructor(
    @InjectDb() db: Db,
    private readonly box: SecretBox,
  ) {
    this.subscriptions = db.collection<Stored<SubscriptionRecord>>('notifications');
    this.deliveries = db.collection<Stored<DeliveryRecord>>('deliveries');
  }

  async onModuleInit(): Promise<void> {
    await this.ensureIndexes();
    // Reads take either form, so a store that is down now only leaves the sealing to the next start.
    await this.sealStoredUrls().catch(() => undefined);
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.subscriptions, [[{ user: 1, app: 1 }]]);
    await createIndexes(this.deliveries, [[{ user: 1, app: 1, createdAt: -1 }]]);
  }

  /** Seals the URLs of documents stored before URLs were sealed; each document once, whichever process gets there first. */
  async sealStoredUrls(): Promise<void> {
    for (const collection of [this.subscriptions, this.deliveries] as unknown as Collection<{
      _id: string;
      url?: string;
      sealedUrl?: string;
    }>[]) {
      for await (const { _id, url } of collection.find({ url: { $exists: true } }, { projection: { url: 1 } })) {
        await collection.updateOne({ _id, url }, { $set: { sealedUrl: this.box.seal(url!) }, $unset: { url: '' } });
      }
    }
  }

  /**
   * Adds the subscription unless the app or the user would then have more than its cap. Two adds
   * at once may both be refused near the cap, never both kept over it: each counts after inserting.
   */
  async addSubscription(record: SubscriptionRecord, caps: { perApp: number; perUser: number }): Promise<SubscriptionCap | null> {
    await this.subscriptions.insertOne(this.sealed(record));
    const over =
      (await this.subscriptions.countDocuments({ user: record.user, app: record.app })) > caps.perApp
        ? 'app'
        : (await this.subscriptions.countDocuments({ user: record.user })) > caps.perUser
          ? 'user'
          : null;
    if (over) await this.subscriptions.deleteOne({ _id: record._id });
    return over;
  }

  async subscriptionsOf(user: string, app: string, page?: { limit: number; skip: number }): Promise<SubscriptionRecord[]> {
    const cursor = this.subscriptions.find({ user, app }).sort({ createdAt: 1, _id: 1 });
    if (page) cursor.skip(page.skip).limit(page.limit);
    return (await cursor.toArray()).map((stored) => this.opened(stored));
  }

  async subscription(id: string): Promise<SubscriptionRecord | null> {
    const stored = await this.subscriptions.findOne({ _id: id });
    return stored && this.opened<SubscriptionRecord>(stored);
  }

  async removeSubscription(user: string, app: string, id: string): Promise<boolean> {
    return (await this.subscriptions.deleteOne({ _id: id, user, app })).deletedCount === 1;
  }

  /** Enables a disabled subscription again, its failures forgotten; false when the app has no such subscription. */
  async enableSubscription(user: string, app: string, id: string): Promise<SubscriptionRecord | null> {
    const updated = await this.subscriptions.findOneAndUpdate(
      { _id: id, user, app },
      { $set: { failures: 0 }, $unset: { failingSince: '', disabledAt: '', disabledReason: '' } },
      { returnDocument: 'after' },
    );
    return updated && this.opened<SubscriptionRecord>(updated);
  }

  /** The subscriber accepted a delivery: its run of failures ends. */
  async subscriberAnswered(id: string): Promise<void> {
    await this.subscriptions.updateOne({ _id: id, failures: { $gt: 0 } }, { $set: { failures: 0 }, $unset: { failingSince: '' } });
  }

  /**
   * Counts one failed attempt against the subscription and disables it once it has failed
   * `policy.failures` times in a row over at least `policy.forMs`; answers the subscription as it is then.
   */
  async subscriberFailed(id: string, now: Date, policy: { failures: number; forMs: number }): Promise<SubscriptionRecord | null> {
    await this.subscriptions.updateOne({ _id: id }, { $inc: { failures: 1 }, $min: { failingSince: now } });
    await this.subscriptions.updateOne(
      {
        _id: id,
        disabledAt: { $exists: false },
        failures: { $gte: policy.failures },
        failingSince: { $lte: new Date(now.getTime() - policy.forMs) },
      },
      { $set: { disabledAt: now, disabledReason: `${policy.failures} or more failed attempts in a row` } },
    );
    return this.subscription(id);
  }

  /** Creates the delivery unless it exists (the activity creating it may run twice). */
  async createDelivery(record: DeliveryRecord): Promise<void> {
    const { _id, ...fields } = this.sealed(record);
    await this.deliveries.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
  }

  async delivery(id: string): Promise<DeliveryRecord | null> {
    const stored = await this.deliveries.findOne({ _id: id });
    return stored && this.opened<DeliveryRecord>(stored);
  }

  async deliveriesOf(user: string, app: string, limit: number, skip: number): Promise<DeliveryRecord[]> {
    const stored = await this.deliveries.find({ user, app }).sort({ createdAt: -1, _id: 1 }).skip(skip).limit(limit).toArray();
    return stored.map((record) => this.opened(record));
  }

  /** Counts one attempt before it is made: a worker killed mid-request still shows it. */
  async countAttempt(id: string): Promise<void> {
    await this.deliveries.updateOne({ _id: id }, { $inc: { attempts: 1 }, $set: { updatedAt: new Date() } });
  }

  async attemptFailed(id: string, statusCode: number | undefined, error: string): Promise<void> {
    const $set: Partial<DeliveryRecord> = { lastError: error, updatedAt: new Date(), ...(statusCode !== undefined && { statusCode }) };
    await this.deliveries.updateOne({ _id: id }, { $set });
  }

  async delivered(id: string, statusCode: number): Promise<void> {
    const now = new Date();
    await this.deliveries.updateOne(
      { _id: id },
      { $set: { status: 'delivered', statusCode, updatedAt: now, deliveredAt: now }, $unset: { lastError: '' } },
    );
  }

  async gaveUp(id: string): Promise<void> {
    await this.deliveries.updateOne({ _id: id, status: 'pending' }, { $set: { status: 'failed', updatedAt: new Date() } });
  }

  /**
   * Marks a redelivery asked: pending again; answers its number, or why not: the delivery is not
   * the app's, it is being delivered already, or the app asked `perMinute` redeliveries in the last minute.
   */
  async redeliver(user: string, app: string, id: string, now: Date, perMinute: number): Promise<number | RedeliveryRefusal> {
    const recent = await this.deliveries.countDocuments({ user, app, redeliveredAt: { $gt: new Date(now.getTime() - 60_000) } });
    if (recent >= perMinute) return 'rate';
    const updated = await this.deliveries.findOneAndUpdate(
      { _id: id, user, app, status: { $ne: 'pending' } },
      { $inc: { redeliveries: 1 }, $set: { status: 'pending', updatedAt: now, redeliveredAt: now } },
      { returnDocument: 'after' },
    );
    if (updated) return updated.redeliveries;
    return (await this.deliveries.countDocuments({ _id: id, user, app })) === 0 ? 'not_found' : 'pending';
  }

  private sealed<T extends { url: string }>(record: T): Stored<T> {
    const { url, ...rest } = record;
    return { ...rest, sealedUrl: this.box.seal(url) };
  }

  private opened<T extends { url: string }>(stored: Stored<T>): T {
    const { sealedUrl, url, ...rest } = stored;
    return { ...rest, url: sealedUrl !== undefined ? this.box.open(sealedUrl) : url! } as unknown as T;
  }
}
