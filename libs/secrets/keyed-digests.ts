import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Keyed digests (HMAC-SHA256) of values shown to readers who must not learn them, such as an
 * app's env in its releases: a plain hash of a low-entropy value can be tested against guesses
 * offline, an HMAC cannot without the key. Each purpose gets its own key, derived from
 * ENCRYPTION_KEY by HKDF-SHA256 with the purpose as label, so the encryption key itself is never
 * used for anything but encryption (docs/reliability.md#tenant-isolation-review).
 */
export class KeyedDigests {
  private readonly keys = new Map<string, Buffer>();

  constructor(private readonly encryptionKey: Buffer) {
    if (encryptionKey.length !== 32) throw new Error('KeyedDigests needs a 32-byte key');
  }

  /** The hex HMAC-SHA256 of `data` under the key for `purpose`. */
  hex(purpose: string, data: string): string {
    return createHmac('sha256', this.keyFor(purpose)).update(data).digest('hex');
  }

  private keyFor(purpose: string): Buffer {
    let key = this.keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.encryptionKey, Buffer.alloc(0), `deploy-webhooks ${purpose}`, 32));
      this.keys.set(purpose, key);
    }
    return key;
  }
}
