import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  it('round-trips, never stores the plain text, and rejects tampering or another key', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal('ghp_secret');
    expect(sealed).not.toContain('ghp_secret');
    expect(box.open(sealed)).toBe('ghp_secret');
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => box.open(parts.join(':'))).toThrow();
    expect(() => new SecretBox(randomBytes(32)).open(sealed)).toThrow();
  });
});
