import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { createIndexes, InjectDb, isDuplicateKey } from '../persistence';
import type { ReleaseCause } from '../../workflows/types';

/** A release (docs/contract.md#releases): what went live at the app's target, numbered per app from 1. */
export interface ReleaseRecord {
  _id: string; // `${user}/${app}/${version}`
  user: string;
  app: string;
  version: number;
  deployment: string;
  repository: string;
  commit: string;
  /** package.json's version at the commit. */
  appVersion: string;
  /** sha256 of the env delivered with it (keys sorted): tells whether two releases ran with the same config. */
  envDigest: string;
  cause: ReleaseCause;
  /** Who caused it: a user, `token:<name>`, or `webhook:<github|travis>`. */
  by: string;
  createdAt: Date;
  live: boolean;
  rolledBackTo?: number;
  /** Its tarball in blob storage while it is among the last RELEASES_KEPT; removed (pruned) after. */
  blobId?: string;
  /**
   * Whether its package said `retain: true`: the receiver keeps its files, so a rollback to it
   * activates them (docs/contract.md#activate). Absent on releases made before the service sent ACTIVATE.
   */
  retained?: boolean;
  /** The `_doc` of the DEPLOY package that carried its files: its own deployment's, or for a release made by ACTIVATE the activated one's. */
  receiverRelease?: string;
  /** How its code reached the target: uploaded, or activated where the receiver kept it. */
  delivered?: 'upload' | 'activate';
}

interface ReleaseCounter {
  _id: string; // `${user}/${app}`
  seq: number;
}

/** The only code that reads or writes releases and their per-app counters. */
@Injectable()
export class ReleasesRepository {
  private readonly releases: Collection<ReleaseRecord>;
  private readonly counters: Collection<ReleaseCounter>;

  constructor(@InjectDb() db: Db) {
    this.releases = db.collection<ReleaseRecord>('releases');
    this.counters = db.collection<ReleaseCounter>('release_counters');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.releases, [
      [{ deployment: 1 }, { unique: true }], // one release per deployment, whatever replays
      [{ user: 1, app: 1, version: -1 }],
      [{ blobId: 1 }, { sparse: true }],
    ]);
  }

  /** The app's next release number: an atomic per-app counter. */
  async nextVersion(user: string, app: string): Promise<number> {
    const counter = await this.counters.findOneAndUpdate(
      { _id: `${user}/${app}` },
      { $inc: { seq: 1 } },
      { upsert: true, returnDocument: 'after' },
    );
    return counter!.seq;
  }

  /** Inserts the release; when the deployment has one already (a replayed activity), answers that one. */
  async insertOrGet(release: ReleaseRecord): Promise<ReleaseRecord> {
    try {
      await this.releases.insertOne(release);
      return release;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.releases.findOne({ deployment: release.deployment });
      if (!existing) throw error;
      return existing;
    }
  }

  forDeployment(deployment: string): Promise<ReleaseRecord | null> {
    return this.releases.findOne({ deployment });
  }

  /** `version` live, every other release of the app not (none live when `version` is undefined: after an UNDEPLOY). */
  async setLive(user: string, app: string, version?: number): Promise<void> {
    if (version !== undefined) await this.releases.updateOne({ user, app, version }, { $set: { live: true } });
    await this.releases.updateMany(
      { user, app, live: true, ...(version !== undefined ? { version: { $ne: version } } : {}) },
      { $set: { live: false } },
    );
  }

  find(user: string, app: string, version: number): Promise<ReleaseRecord | null> {
    return this.releases.findOne({ user, app, version });
  }

  live(user: string, app: string): Promise<ReleaseRecord | null> {
    return this.releases.findOne({ user, app, live: true }, { sort: { version: -1 } });
  }

  /** The newest release below `version`. */
  before(user: string, app: string, version: number): Promise<ReleaseRecord | null> {
    return this.releases.findOne({ user, app, version: { $lt: version } }, { sort: { version: -1 } });
  }

  list(user: string, app: string, limit: number, skip: number): Promise<ReleaseRecord[]> {
    return this.releases.find({ user, app }).sort({ version: -1 }).skip(skip).limit(limit).toArray();
  }

  /** Releases past the newest `kept` that still hold a tarball. */
  withBlobBeyond(user: string, app: string, kept: number): Promise<ReleaseRecord[]> {
    return this.releases
      .find({ user, app, blobId: { $exists: true } })
      .sort({ version: -1 })
      .skip(kept)
      .toArray();
  }

  async dropBlob(id: string): Promise<void> {
    await this.releases.updateOne({ _id: id }, { $unset: { blobId: '' } });
  }

  /** Whether a release still keeps this tarball (a rollback's release shares the tarball of the one it rolled back to). */
  async keeps(blobId: string): Promise<boolean> {
    return (await this.releases.countDocuments({ blobId }, { limit: 1 })) > 0;
  }
}
