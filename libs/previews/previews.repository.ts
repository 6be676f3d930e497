import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { createIndexes, InjectDb, isDuplicateKey } from '../persistence';

/** Where a preview stands (docs/contract.md#preview-apps). */
export type PreviewState = 'deploying' | 'live' | 'failed' | 'awaiting_approval' | 'tearing_down' | 'removed' | 'teardown_failed';

/** The preview of one pull request of an app: the record that answers lists and late events, whatever Temporal still has. */
export interface PreviewRecord {
  _id: string; // `${user}/${app}/${pr}`
  user: string;
  /** The parent app. */
  app: string;
  pr: number;
  /** The preview app: `<app>-pr-<n>`. */
  name: string;
  repository: string;
  fork: boolean;
  headRepository: string;
  state: PreviewState;
  /** What the state means now, for a human: what it waits for, why it was removed. */
  reason: string;
  /** The newest head and its deployment (absent while a fork's head waits for an approval). */
  head?: { sha: string; ref: string; deploymentId?: string };
  workflowId: string;
  /** The latest approval of a fork's head (docs/contract.md#preview-apps): who, which head, when, why. */
  approval?: { by: string; sha: string; at: Date; comment?: string };
  /** The UNDEPLOY of the teardown, written before it starts: a second run of the step meets it (exactly one UNDEPLOY). */
  teardown?: {
    attempt: number;
    workflowId: string;
    deploymentId: string;
    undeploys?: string;
    appVersion: { createdAt: number; revision: number };
  };
  removedBecause?: 'closed' | 'ttl' | 'reconciled';
  createdAt: Date;
  updatedAt: Date;
  lastPushAt: Date;
  removedAt?: Date;
}

/** Preview states that hold a place under previews.max. */
export const ACTIVE_STATES: readonly PreviewState[] = ['deploying', 'live', 'failed', 'awaiting_approval', 'tearing_down'];

export const previewRecordId = (user: string, app: string, pr: number) => `${user}/${app}/${pr}`;

/** The `previews` collection: the only code that reads or writes it. */
@Injectable()
export class PreviewsRepository {
  private readonly previews: Collection<PreviewRecord>;

  constructor(@InjectDb() db: Db) {
    this.previews = db.collection<PreviewRecord>('previews');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.previews, [[{ user: 1, app: 1, pr: -1 }]]);
  }

  find(user: string, app: string, pr: number): Promise<PreviewRecord | null> {
    return this.previews.findOne({ _id: previewRecordId(user, app, pr) });
  }

  /** The first record of the preview, or the one there already (`created` false). */
  async insertOrGet(record: PreviewRecord): Promise<{ record: PreviewRecord; created: boolean }> {
    try {
      await this.previews.insertOne(record);
      return { record, created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.previews.findOne({ _id: record._id });
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  /** Previews of the app that hold a place under previews.max. */
  countActive(user: string, app: string): Promise<number> {
    return this.previews.countDocuments({ user, app, state: { $in: [...ACTIVE_STATES] } });
  }

  /** The app's previews, the newest pull request first. */
  list(user: string, app: string, limit: number, skip: number): Promise<PreviewRecord[]> {
    return this.previews.find({ user, app }).sort({ pr: -1 }).skip(skip).limit(limit).toArray();
  }

  /** Changes the record unless it was removed already (a late step never revives it); false when it was. */
  async update(id: string, fields: Partial<Omit<PreviewRecord, '_id'>>): Promise<boolean> {
    const result = await this.previews.updateOne(
      { _id: id, state: { $nin: ['removed', 'teardown_failed'] } },
      { $set: { ...fields, updatedAt: new Date() } },
    );
    return result.matchedCount === 1;
  }

  /** The teardown's UNDEPLOY of `attempt`, written once: the first writer's stays. */
  async claimTeardown(id: string, teardown: NonNullable<PreviewRecord['teardown']>): Promise<NonNullable<PreviewRecord['teardown']>> {
    await this.previews.updateOne(
      { _id: id, $or: [{ teardown: { $exists: false } }, { 'teardown.attempt': { $lt: teardown.attempt } }] },
      { $set: { teardown, updatedAt: new Date() } },
    );
    return (await this.previews.findOne({ _id: id }))?.teardown ?? teardown;
  }

  async removed(id: string, fields: Pick<PreviewRecord, 'state' | 'reason' | 'removedBecause'>): Promise<void> {
    const now = new Date();
    await this.previews.updateOne({ _id: id }, { $set: { ...fields, removedAt: now, updatedAt: now } });
  }
}
