import { Injectable, OnModuleInit } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { InjectDb } from '../persistence';
import type { DeploymentEvent } from '../../workflows/types';

/** A subscription of an app to its deployments' events; the secret sealed with SecretBox. */
export interface SubscriptionRecord {
  _id: string;
  user: string;
  app: string;
  url: string;
  events: DeploymentEvent[];
  format: 'json' | 'slack';
  sealedSecret?: string;
  createdAt: Date;
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
  statusCode?: number;
  lastError?: string;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt?: Date;
}

/** The only code touching the `notifications` and `deliveries` collections. */
@Injectable()
export class NotificationsRepository implements OnModuleInit {
  private readonly subscriptions: Collection<SubscriptionRecord>;
  private readonly deliveries: Collection<DeliveryRecord>;

  constructor(@InjectDb() db: Db) {
    this.subscriptions = db.collection<SubscriptionRecord>('notifications');
    this.deliveries = db.collection<DeliveryRecord>('deliveries');
  }

  async onModuleInit(): Promise<void> {
    await this.ensureIndexes().catch(() => undefined); // queries work without them, only slower
  }

  async ensureIndexes(): Promise<void> {
    await this.subscriptions.createIndex({ user: 1, app: 1 });
    await this.deliveries.createIndex({ user: 1, app: 1, createdAt: -1 });
  }

  async addSubscription(record: SubscriptionRecord): Promise<void> {
    await this.subscriptions.insertOne(record);
  }

  subscriptionsOf(user: string, app: string): Promise<SubscriptionRecord[]> {
    return this.subscriptions.find({ user, app }).sort({ createdAt: 1 }).toArray();
  }

  subscription(id: string): Promise<SubscriptionRecord | null> {
    return this.subscriptions.findOne({ _id: id });
  }

  async removeSubscription(user: string, app: string, id: string): Promise<boolean> {
    return (await this.subscriptions.deleteOne({ _id: id, user, app })).deletedCount === 1;
  }

  /** Creates the delivery unless it exists (the activity creating it may run twice). */
  async createDelivery(record: DeliveryRecord): Promise<void> {
    const { _id, ...fields } = record;
    await this.deliveries.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
  }

  delivery(id: string): Promise<DeliveryRecord | null> {
    return this.deliveries.findOne({ _id: id });
  }

  deliveriesOf(user: string, app: string, limit: number, skip: number): Promise<DeliveryRecord[]> {
    return this.deliveries.find({ user, app }).sort({ createdAt: -1, _id: 1 }).skip(skip).limit(limit).toArray();
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

  /** Marks a redelivery asked: pending again; answers its number, or null when the delivery is not the app's. */
  async redeliver(user: string, app: string, id: string): Promise<number | null> {
    const updated = await this.deliveries.findOneAndUpdate(
      { _id: id, user, app },
      { $inc: { redeliveries: 1 }, $set: { status: 'pending', updatedAt: new Date() } },
      { returnDocument: 'after' },
    );
    return updated ? updated.redeliveries : null;
  }
}
