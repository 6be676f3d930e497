import { createHash, createHmac, randomBytes } from 'node:crypto';
import { KeyedDigests } from '../secrets';
import { envDigest } from './release-keeping';

describe('envDigest', () => {
  const env = { PIN: '1234', MODE: 'production' };
  const sorted = JSON.stringify([
    ['MODE', 'production'],
    ['PIN', '1234'],
  ]);

  it('is a keyed HMAC: not the plain sha256 a reader could recompute from guesses, and another key gives another digest', () => {
    const key = randomBytes(32);
    const digest = envDigest(env, new KeyedDigests(key));
    expect(digest).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(digest).not.toContain(createHash('sha256').update(sorted).digest('hex'));
    // Not an HMAC under the raw encryption key either: the digest key is derived for this purpose only.
    expect(digest).not.toContain(createHmac('sha256', key).update(sorted).digest('hex'));
    expect(envDigest(env, new KeyedDigests(randomBytes(32)))).not.toBe(digest);
    expect(envDigest(env, new KeyedDigests(Buffer.from(key)))).toBe(digest);
  });

  it('tells envs apart, whatever the order of their keys', () => {
    const digests = new KeyedDigests(randomBytes(32));
    expect(envDigest({ MODE: 'production', PIN: '1234' }, digests)).toBe(envDigest(env, digests));
    expect(envDigest({ ...env, PIN: '1235' }, digests)).not.toBe(envDigest(env, digests));
    expect(envDigest({}, digests)).not.toBe(envDigest(env, digests));
  });
});
