import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { createIndexes, InjectDb } from '../persistence';
import { FailureBucket, LOGIN_BUCKET_MS, LOGIN_WINDOW_MS } from './login-guards';

/** Failed password sign-ins of one key (`user:<name>` or `address:<ip>`) within one bucket of LOGIN_BUCKET_MS. */
interface LoginFailureRecord {
  _id: string; // `<key>@<bucket start, ms>`
  key: string;
  bucket: Date;
  count: number;
  /** After this the bucket no longer counts, and may go. */
  expiresAt: Date;
}

/**
 * The only code touching `login_failures`: failed sign-ins counted in MongoDB, so every gateway
 * sees the same count (docs/reliability.md#limits-across-gateways). Expired buckets are
 * deleted in the write path, not by a TTL index: mongo-java-server, the test and `npm start`
 * database, has no TTL monitor.
 */
@Injectable()
export class LoginAttemptsRepository {
  private readonly failures: Collection<LoginFailureRecord>;
  /** The bucket this gateway last swept expired buckets in: at most one sweep per bucket. */
  private sweptIn = 0;

  constructor(@InjectDb() db: Db) {
    this.failures = db.collection<LoginFailureRecord>('login_failures');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.failures, [[{ key: 1, bucket: 1 }], [{ expiresAt: 1 }]]);
  }

  /** The buckets of each key that still count at `now`, oldest first. */
  async recent(keys: string[], now: number): Promise<Map<string, FailureBucket[]>> {
    const found = await this.failures
      .find({ key: { $in: keys }, expiresAt: { $gt: new Date(now) } }, { projection: { key: 1, bucket: 1, count: 1 } })
      .sort({ bucket: 1 })
      .toArray();
    const byKey = new Map<string, FailureBucket[]>(keys.map((key) => [key, []]));
    for (const { key, bucket, count } of found) byKey.get(key)?.push({ start: bucket.getTime(), count });
    return byKey;
  }

  /** Counts one failure for each key in the bucket of `now`; once per bucket, drops the expired ones. */
  async record(keys: string[], now: number): Promise<void> {
    const start = now - (now % LOGIN_BUCKET_MS);
    const expiresAt = new Date(start + LOGIN_BUCKET_MS + LOGIN_WINDOW_MS);
    await Promise.all(
      keys.map((key) =>
        this.failures.updateOne(
          { _id: `${key}@${start}` },
          { $inc: { count: 1 }, $setOnInsert: { key, bucket: new Date(start), expiresAt } },
          { upsert: true },
        ),
      ),
    );
    if (start === this.sweptIn) return;
    this.sweptIn = start;
    await this.failures.deleteMany({ expiresAt: { $lte: new Date(now) } });
  }
}
