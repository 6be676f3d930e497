import { createHmac, randomBytes } from 'node:crypto';
import { KeyedDigests } from './keyed-digests';

describe('KeyedDigests', () => {
  it('keys each purpose apart, never with the encryption key itself', () => {
    const key = randomBytes(32);
    const digests = new KeyedDigests(key);
    expect(digests.hex('env digest', 'x')).toMatch(/^[0-9a-f]{64}$/);
    expect(digests.hex('env digest', 'x')).toBe(new KeyedDigests(Buffer.from(key)).hex('env digest', 'x'));
    expect(digests.hex('other purpose', 'x')).not.toBe(digests.hex('env digest', 'x'));
    expect(digests.hex('env digest', 'x')).not.toBe(createHmac('sha256', key).update('x').digest('hex'));
    expect(() => new KeyedDigests(randomBytes(16))).toThrow(/32-byte key/);
  });
});
