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
});
