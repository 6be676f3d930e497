import { verify } from '@octokit/webhooks-methods';
import { createVerify } from 'node:crypto';

/** GitHub `X-Hub-Signature-256: sha256=<hex HMAC of the raw body>`: octokit's constant-time check. */
export async function verifyGithubSignature(secret: string, rawBody: Buffer, signature: string | undefined): Promise<boolean> {
  if (!signature?.startsWith('sha256=')) return false;
  try {
    return await verify(secret, rawBody.toString('utf8'), signature);
  } catch {
    return false;
  }
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
