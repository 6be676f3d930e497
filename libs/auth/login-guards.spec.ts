import { LOGIN_BUCKET_MS, LOGIN_WINDOW_MS, throttledFor, VerifiedCredentials } from './login-guards';

describe('login guards', () => {
  it('remembers verified headers until they expire or everything is forgotten', () => {
    const cache = new VerifiedCredentials<string>(50);
    cache.remember('Basic abc', 'alice');
    expect(cache.get('Basic abc')).toBe('alice');
    expect(cache.get('Basic abd')).toBeUndefined();
    cache.forgetAll();
    expect(cache.get('Basic abc')).toBeUndefined();
  });

  it('throttles a key at the limit of failures, until enough of its oldest buckets expire', () => {
    const now = 1_000_000;
    const expiry = (start: number) => Math.ceil((start + LOGIN_BUCKET_MS + LOGIN_WINDOW_MS - now) / 1000);
    expect(throttledFor([], 3, now)).toBe(0);
    expect(throttledFor([{ start: now - 5_000, count: 2 }], 3, now)).toBe(0);
    expect(throttledFor([{ start: now - 5_000, count: 3 }], 3, now)).toBe(expiry(now - 5_000));
    const buckets = [
      { start: now - 40_000, count: 1 },
      { start: now - 20_000, count: 2 },
      { start: now, count: 1 },
    ];
    expect(throttledFor(buckets, 3, now)).toBe(expiry(now - 20_000)); // one expiring leaves 3: both must go
    expect(throttledFor(buckets, 4, now)).toBe(expiry(now - 40_000));
    expect(throttledFor(buckets, 5, now)).toBe(0);
  });

  it('shares one verification among concurrent requests with the same header, and forgets it once settled', async () => {
    const cache = new VerifiedCredentials<string>();
    let verifications = 0;
    const verify = () => new Promise<string>((resolve) => setTimeout(() => resolve(`alice#${++verifications}`), 10));
    const burst = await Promise.all(Array.from({ length: 16 }, () => cache.shared('password', 'Basic abc', verify)));
    expect(new Set(burst)).toEqual(new Set(['alice#1'])); // one scrypt for the burst
    expect(await cache.shared('token', 'Basic abc', verify)).toBe('alice#2'); // another kind: its own
    await expect(cache.shared('password', 'Basic abc', async () => Promise.reject(new Error('bad')))).rejects.toThrow('bad');
    expect(await cache.shared('password', 'Basic abc', verify)).toBe('alice#3'); // a settled one is not reused
  });
});
