import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { InjectDb, isDuplicateKey } from '../persistence';
import { StatusEntry } from './status-entry';

export const STATUS_COLLECTION = 'status_entries';

/** The only code that reads or writes the status log. Append-only. */
@Injectable()
export class StatusRepository {
  private readonly entries: Collection<StatusEntry>;

  constructor(@InjectDb() db: Db) {
    this.entries = db.collection<StatusEntry>(STATUS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.entries.createIndex({ user: 1, ts: -1 });
    await this.entries.createIndex({ user: 1, app_name: 1, ts: -1 });
    await this.entries.createIndex({ deployment: 1, ts: 1 });
  }

  /** Appends an entry; writing the same entry id again is a no-op (activity retries). */
  async append(entry: StatusEntry): Promise<void> {
    try {
      await this.entries.insertOne(entry);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  list(filter: { user: string; app_name?: string }, limit: number, skip: number): Promise<StatusEntry[]> {
    const query: Record<string, string> = { user: filter.user };
    if (filter.app_name !== undefined) query.app_name = filter.app_name;
    return this.entries.find(query).sort({ ts: -1, _id: -1 }).skip(skip).limit(limit).toArray();
  }

  findById(user: string, id: string): Promise<StatusEntry | null> {
    return this.entries.findOne({ _id: id, user });
  }

  forDeployment(deployment: string): Promise<StatusEntry[]> {
    return this.entries.find({ deployment }).sort({ ts: 1, _id: 1 }).toArray();
  }
}
