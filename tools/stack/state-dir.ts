import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm start`'s state directory holds the encryption key, the admin and receiver passwords, the
 * GitHub App's key and webhook secret, MongoDB's and Temporal's data, blobs and logs: only its
 * owner may read it (docs/reliability.md#tenant-isolation-review). Made 0700 even when an
 * earlier run left it open, and what is in it loses every group and other permission (files
 * 0600, directories 0700; an owner's execute bit stays). Symbolic links are left alone: chmod
 * would follow them out of the directory.
 */
export function makePrivateStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir);
}

function tighten(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if ((stat.mode & 0o077) !== 0) chmodSync(path, stat.mode & 0o700);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) tighten(join(path, entry));
}

/** The umask for the processes `npm start` runs: what they create is their owner's only. */
export const PRIVATE_UMASK = 0o077;
