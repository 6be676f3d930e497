import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { InjectDb } from '../persistence';

/** An app as stored: secrets (target password, webhook secret, env) sealed with SecretBox. */
export interface AppRecord {
  _id: string; // `${user}/${name}`
  user: string;
  name: string;
  repository: string;
  branch?: string;
  target?: { url: string; statusUrl?: string; username?: string; sealedPassword?: string; archiveFormat?: 'tar.gz' | 'zip' };
  sealedWebhookSecret?: string;
  sealedEnv?: string;
  retain: boolean;
  ci: 'auto' | 'travis' | 'none';
  lastDeployment?: string;
  createdAt: Date;
  updatedAt: Date;
}

@Injectable()
export class AppsRepository {
  private readonly apps: Collection<AppRecord>;

  constructor(@InjectDb() db: Db) {
    this.apps = db.collection<AppRecord>('apps');
  }

  async ensureIndexes(): Promise<void> {
    await this.apps.createIndex({ user: 1, repository: 1 });
  }

  find(user: string, name: string): Promise<AppRecord | null> {
    return this.apps.findOne({ _id: `${user}/${name}` });
  }

  findByRepository(user: string, repository: string): Promise<AppRecord | null> {
    return this.apps.findOne({ user, repository });
  }

  async save(record: AppRecord): Promise<void> {
    const { createdAt, ...rest } = record;
    await this.apps.updateOne({ _id: record._id }, { $set: rest, $setOnInsert: { createdAt } }, { upsert: true });
  }

  async setLastDeployment(user: string, name: string, deployment: string): Promise<void> {
    await this.apps.updateOne({ _id: `${user}/${name}` }, { $set: { lastDeployment: deployment } });
  }

  async remove(user: string, name: string): Promise<boolean> {
    return (await this.apps.deleteOne({ _id: `${user}/${name}` })).deletedCount === 1;
  }
}
