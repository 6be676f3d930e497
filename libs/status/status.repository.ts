import { Injectable } from '@nestjs/common';
import { ChangeStream, ChangeStreamInsertDocument, Collection, Db } from 'mongodb';
import { createIndexes, InjectDb, isDuplicateKey } from '../persistence';
import { newCursor } from './changes-cursor';
import { NewStatusEntry, seqOfEntryId, StatusEntry, statusEntryId } from './status-entry';

export type StatusInsertStream = ChangeStream<StatusEntry, ChangeStreamInsertDocument<StatusEntry>>;

export const STATUS_COLLECTION = 'status_entries';

/** The only code that reads or writes the status log. Append-only. */
@Injectable()
export class StatusRepository {
  private readonly entries: Collection<StatusEntry>;

  constructor(@InjectDb() db: Db) {
    this.entries = db.collection<StatusEntry>(STATUS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    // The two status queries sort by (ts, _id) within a user (and app); the feed reads by cursor.
    await createIndexes(this.entries, [
      [{ user: 1, ts: -1, _id: -1 }],
      [{ user: 1, app_name: 1, ts: -1, _id: -1 }],
      [{ deployment: 1, ts: 1 }],
      [{ user: 1, cursor: 1 }],
      [{ cursor: 1 }],
      [{ ts: 1 }], // the retention sweep
    ]);
  }

  /**
   * Removes entries written before `before` (STATUS_RETENTION). An explicit sweep rather than a
   * TTL index: mongo-java-server, the test and `npm start` database, has no TTL monitor.
   */
  async removeOlderThan(before: Date): Promise<number> {
    return (await this.entries.deleteMany({ ts: { $lt: before } })).deletedCount;
  }

  /**
   * Appends an entry; writing the same entry id again is a no-op (activity retries). The cursor
   * is assigned here, right before the insert, because the feed's ordering relies on it.
   */
  async append(entry: NewStatusEntry): Promise<{ entry: StatusEntry; inserted: boolean }> {
    const stored: StatusEntry = { ...entry, cursor: newCursor() };
    try {
      await this.entries.insertOne(stored);
      return { entry: stored, inserted: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return { entry: stored, inserted: false };
    }
  }

  /**
   * Appends a deployment's entry after the last one of its log, when the number its workflow
   * gave it (`workflow_seq`) already holds another step: the local activities of a workflow task
   * that never completed (its worker killed) wrote it, and the retried task took another path. A
   * retried write of the same entry finds it by that number and step and is a no-op.
   */
  async appendRenumbered(
    entry: Omit<NewStatusEntry, '_id'> & { workflow_seq: number },
  ): Promise<{ entry: StatusEntry; inserted: boolean }> {
    const written = await this.entries.findOne({ deployment: entry.deployment, workflow_seq: entry.workflow_seq, step: entry.step });
    if (written) return { entry: written, inserted: false };
    return this.appendAfterLast(entry, () => false);
  }

  /**
   * Appends an entry no workflow numbered (the sweep closing a deployment whose workflow ended
   * without its end: docs/reliability.md#tenant-isolation-review) after the last one of its
   * deployment's log. When the log already ends with the same step and state (another sweeper
   * wrote it), or has ended (`done`), nothing is written and that last entry is answered: two
   * sweepers write the end once.
   */
  appendAtEnd(entry: Omit<NewStatusEntry, '_id'>): Promise<{ entry: StatusEntry; inserted: boolean }> {
    return this.appendAfterLast(entry, (last) => last.step === 'done' || (last.step === entry.step && last.status === entry.status));
  }

  /** The last entry of a deployment's log (by its number), if any. */
  async lastOf(deployment: string): Promise<StatusEntry | null> {
    const [last] = await this.entries.find({ deployment }).sort({ _id: -1 }).limit(1).toArray();
    return last ?? null;
  }

  private async appendAfterLast(
    entry: Omit<NewStatusEntry, '_id'>,
    written: (last: StatusEntry) => boolean,
  ): Promise<{ entry: StatusEntry; inserted: boolean }> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const last = await this.lastOf(entry.deployment);
      if (last && written(last)) return { entry: last, inserted: false };
      const appended = await this.append({ ...entry, _id: statusEntryId(entry.deployment, (last ? seqOfEntryId(last._id) : 0) + 1) });
      if (appended.inserted) return appended;
    }
    // Ten writers racing for the log's end: fail, and the caller's retry writes it (never dropped).
    throw new Error(`status entry ${entry.step} of ${entry.deployment} lost the race for the log's end 10 times`);
  }

  /** A user's entries with `after < cursor < before`, oldest first: a feed client catching up. */
  entriesBetween(user: string, after: string, before: string, limit: number): Promise<StatusEntry[]> {
    return this.entries
      .find({ user, cursor: { $gt: after, $lt: before } })
      .sort({ cursor: 1 })
      .limit(limit)
      .toArray();
  }

  /** Every user's entries from `from` on, oldest first: the feed refilling after its change stream broke. */
  entriesFrom(from: string, limit: number): Promise<StatusEntry[]> {
    return this.entries
      .find({ cursor: { $gte: from } })
      .sort({ cursor: 1 })
      .limit(limit)
      .toArray();
  }

  /** The one change stream a gateway process keeps: inserts into the status log. */
  watchInserts(): StatusInsertStream {
    return this.entries.watch<StatusEntry, ChangeStreamInsertDocument<StatusEntry>>([{ $match: { operationType: 'insert' } }]);
  }

  /** `apps`: only entries of these apps (a collaborator's view, docs/contract.md#collaborators). */
  list(filter: { user: string; app_name?: string; apps?: string[] }, limit: number, skip: number): Promise<StatusEntry[]> {
    const query: Record<string, unknown> = { user: filter.user };
    if (filter.apps !== undefined) query.app_name = { $in: filter.apps };
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
