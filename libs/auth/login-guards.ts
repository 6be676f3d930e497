import { createHmac, randomBytes } from 'node:crypto';

/**
 * Two bounds around the deliberately slow password hash:
 * - VerifiedCredentials remembers, for a few seconds, Authorization headers that verified, so a
 *   webhook burst or a polling client costs one scrypt per credential, not one per request.
 *   Keys are HMACs under a per-process key: no secret is kept in memory in the clear. Revoking
 *   a token forgets everything at once.
 * - FailedLogins throttles password guessing: after too many failures within a window, per user
 *   and per client address, further password attempts are refused without checking, right or
 *   wrong (AuthService; API tokens are not throttled).
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
   * Requests with the same header while one verifies it share that verification (issue 15): at
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

export class FailedLogins {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 10,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds to wait when `key` is over the limit, else 0. */
  blockedFor(key: string): number {
    const recent = this.recent(key);
    return recent.length >= this.limit ? Math.ceil((recent[0] + this.windowMs - Date.now()) / 1000) : 0;
  }

  record(key: string): void {
    const recent = this.recent(key);
    recent.push(Date.now());
    this.failures.set(key, recent);
    if (this.failures.size > 100_000) this.failures.clear(); // bounded memory under a flood
  }

  private recent(key: string): number[] {
    const cutoff = Date.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((at) => at > cutoff);
  }
}
