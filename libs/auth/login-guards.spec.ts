import { FailedLogins, VerifiedCredentials } from './login-guards';

describe('login guards', () => {
  it('remembers verified headers until they expire or everything is forgotten', () => {
    const cache = new VerifiedCredentials<string>(50);
    cache.remember('Basic abc', 'alice');
    expect(cache.get('Basic abc')).toBe('alice');
    expect(cache.get('Basic abd')).toBeUndefined();
    cache.forgetAll();
    expect(cache.get('Basic abc')).toBeUndefined();
  });

  it('blocks a key after the limit of failures within the window', () => {
    const failures = new FailedLogins(3, 60_000);
    failures.record('user:alice');
    failures.record('user:alice');
    expect(failures.blockedFor('user:alice')).toBe(0);
    failures.record('user:alice');
    expect(failures.blockedFor('user:alice')).toBeGreaterThan(0);
    expect(failures.blockedFor('user:bob')).toBe(0);
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
