import { createHmac, createVerify, timingSafeEqual } from 'node:crypto';

/** GitHub `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`, compared in constant time. */
export function verifyGithubSignature(secret: string, rawBody: Buffer, signature: string | undefined): boolean {
  if (!signature?.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'), 'utf8');
  const actual = Buffer.from(signature.slice('sha256='.length), 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Travis `Signature`: base64 RSA-SHA1 over the `payload` string, checked with Travis' public key. */
export function verifyTravisSignature(publicKeyPem: string, payload: string, signature: string | undefined): boolean {
  if (!signature) return false;
  try {
    return createVerify('RSA-SHA1').update(payload).verify(publicKeyPem, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
