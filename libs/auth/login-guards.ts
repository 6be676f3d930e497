import { createHmac, randomBytes } from 'node:crypto';

/**
 * Two bounds around the deliberately slow password hash:
 * - VerifiedCredentials remembers, for a few seconds, Authorization headers that verified, so a
 *   webhook burst or a polling client costs one scrypt per credential, not one per request.
 *   Keys are HMACs under a per-process key: no secret is kept in memory in the clear. Revoking
 *   a token forgets everything at once.
 * - throttledFor throttles password guessing: after too many failures within a minute, per user
 *   and per client address, counted in MongoDB over every gateway (LoginAttemptsRepository),
 *   further password attempts are refused without checking, right or wrong (AuthService; API
 *   tokens are not throttled).
 */
export class VerifiedCredentials<T> {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { value: T; expires: number }>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(header: string): T | undefined {
    const id = this.id(header);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expires > Date.now()) return entry.value;
    this.entries.delete(id);
    return undefined;
  }

  remember(header: string, value: T): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(this.id(header), { value, expires: Date.now() + this.ttlMs });
  }

  forgetAll(): void {
    this.entries.clear();
    this.inFlight.clear();
  }

  /**
   * Requests with the same header while one verifies it share that verification: at
   * the TTL's expiry a webhook burst of 16 costs one scrypt, not 16 queued on the thread pool.
   * Each caller still handles the outcome (and counts a failure) itself.
   */
  shared<R>(kind: 'token' | 'password', header: string, verify: () => Promise<R>): Promise<R> {
    const id = `${kind}:${this.id(header)}`;
    let running = this.inFlight.get(id) as Promise<R> | undefined;
    if (!running) {
      running = verify().finally(() => this.inFlight.get(id) === running && this.inFlight.delete(id));
      this.inFlight.set(id, running);
    }
    return running;
  }

  private id(header: string): string {
    return createHmac('sha256', this.key).update(header).digest('base64');
  }
}

/** Failed sign-ins count for a minute, in buckets of 10 s: each failure for between 60 and 70 s. */
export const LOGIN_WINDOW_MS = 60_000;
export const LOGIN_BUCKET_MS = 10_000;

/** The failures of one key within one bucket (LoginAttemptsRepository). */
export interface FailureBucket {
  start: number;
  count: number;
}

/**
 * Seconds until a key with these unexpired buckets (oldest first) is under `limit` failures
 * again, else 0: the oldest buckets expire one by one until what is left is under the limit.
 */
export function throttledFor(buckets: FailureBucket[], limit: number, now: number): number {
  let left = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  for (const bucket of buckets) {
    if (left < limit) break;
    left -= bucket.count;
    if (left < limit) return Math.max(1, Math.ceil((bucket.start + LOGIN_BUCKET_MS + LOGIN_WINDOW_MS - now) / 1000));
  }
  return 0;
}
