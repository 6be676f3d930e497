import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { InjectDb, isDuplicateKey } from '../persistence';
import type { Provider } from '../../workflows/types';

export interface DeploymentRecord {
  _id: string; // deployment id
  workflowId: string;
  user: string;
  repository: string; // owner/name
  commit: string;
  branch?: string;
  app?: string;
  provider: Provider;
  uuid: string; // x-api-uuid of the request that created it
  payloadId?: string; // the GitHub push payload, once known
  retryOf?: string;
  createdAt: Date;
}

export interface PayloadRecord {
  _id: string; // X-GitHub-Delivery when given, so a redelivery is stored once
  user: string;
  provider: Provider;
  deployment: string;
  uuid: string;
  contentType?: string;
  headers: Record<string, string>;
  body: string; // the raw payload, for retry and audit
  receivedAt: Date;
}

/** The only code that reads or writes deployments and stored webhook payloads. */
@Injectable()
export class DeploymentsRepository {
  private readonly deployments: Collection<DeploymentRecord>;
  private readonly payloads: Collection<PayloadRecord>;

  constructor(@InjectDb() db: Db) {
    this.deployments = db.collection<DeploymentRecord>('deployments');
    this.payloads = db.collection<PayloadRecord>('payloads');
  }

  async ensureIndexes(): Promise<void> {
    await this.deployments.createIndex({ workflowId: 1 }, { unique: true });
    await this.deployments.createIndex({ user: 1, createdAt: -1 });
    await this.deployments.createIndex({ user: 1, app: 1, createdAt: -1 });
    await this.deployments.createIndex({ user: 1, repository: 1, branch: 1, createdAt: -1 });
    await this.deployments.createIndex({ retryOf: 1 }, { sparse: true }); // countRetries
    await this.payloads.createIndex({ deployment: 1 });
  }

  /** Stores the payload; a redelivered one (same id) is kept once. */
  async storePayload(payload: PayloadRecord): Promise<void> {
    try {
      await this.payloads.insertOne(payload);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  findPayload(id: string): Promise<PayloadRecord | null> {
    return this.payloads.findOne({ _id: id });
  }

  /** Inserts the deployment, or answers the one already there: never two for one key. */
  async insertOrGet(record: DeploymentRecord): Promise<{ record: DeploymentRecord; created: boolean }> {
    try {
      await this.deployments.insertOne(record);
      return { record, created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.deployments.findOne({ _id: record._id });
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  /** Fills in what a Travis-first deployment learns when the GitHub push arrives. */
  async attachPush(id: string, fields: { payloadId: string; branch: string; app?: string }): Promise<void> {
    await this.deployments.updateOne({ _id: id, payloadId: { $exists: false } }, { $set: fields });
  }

  /** The app a deployment turned out to be for (known after `resolve` when no app was configured). */
  async setApp(id: string, app: string): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $set: { app } });
  }

  findById(id: string): Promise<DeploymentRecord | null> {
    return this.deployments.findOne({ _id: id });
  }

  list(user: string, app: string | undefined, limit: number, skip: number): Promise<DeploymentRecord[]> {
    return this.deployments.find(app === undefined ? { user } : { user, app }).sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).toArray();
  }

  countRetries(id: string): Promise<number> {
    return this.deployments.countDocuments({ retryOf: id });
  }
}
