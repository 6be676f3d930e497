import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredBlob {
  id: string;
  bytes: number;
  sha256: string;
}

export const BLOB_ID = /^[A-Za-z0-9_.-]{1,200}$/;

/**
 * Tarballs between fetch and upload: streamed in and out, never whole in memory. A blob
 * appears under its id only once complete, so a crash mid-write leaves no half blob behind,
 * and rewriting the same id (a retried fetch) replaces it whole. Two kinds (BLOB_STORE):
 * a directory (one worker host, or a shared volume) or GridFS (any number of worker hosts).
 */
export abstract class BlobStore {
  abstract put(id: string, source: Readable, onProgress?: (bytes: number) => void): Promise<StoredBlob>;
  abstract open(id: string): Readable;
  abstract remove(id: string): Promise<void>;
  /**
   * Retention's backstop for blobs the workflow did not remove (a fetch that finished after its
   * deployment ended, a crash mid-write): removes what was written before `before` unless
   * `keep(id)` says its deployment still needs it. Answers how many blobs it removed.
   */
  abstract sweep(before: Date, keep: (id: string) => Promise<boolean>): Promise<number>;
}

/** Counts and hashes what streams through it. */
export function meter(onProgress?: (bytes: number) => void): { stream: Transform; result(id: string): StoredBlob } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      hash.update(chunk);
      onProgress?.(bytes);
      done(null, chunk);
    },
  });
  return { stream, result: (id) => ({ id, bytes, sha256: hash.digest('hex') }) };
}

export class DirectoryBlobStore extends BlobStore {
  private readonly dir: string;

  constructor(dir: string) {
    super();
    this.dir = resolve(dir);
  }

  async put(id: string, source: Readable, onProgress?: (bytes: number) => void): Promise<StoredBlob> {
    await mkdir(this.dir, { recursive: true });
    const target = this.path(id);
    const temp = join(this.dir, `.${id}.${randomBytes(4).toString('hex')}.part`);
    const metered = meter(onProgress);
    try {
      await pipeline(source, metered.stream, createWriteStream(temp));
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return metered.result(id);
  }

  open(id: string): Readable {
    return createReadStream(this.path(id));
  }

  async remove(id: string): Promise<void> {
    await rm(this.path(id), { force: true });
  }

  async sweep(before: Date, keep: (id: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const file = join(this.dir, name);
      const written = (await stat(file).catch(() => undefined))?.mtimeMs;
      if (written === undefined || written >= before.getTime()) continue;
      if (name.startsWith('.') && name.endsWith('.part'))
        await rm(file, { force: true }); // a write that never finished
      else if (name.endsWith('.tar.gz') && !(await keep(name.slice(0, -'.tar.gz'.length)))) {
        await rm(file, { force: true });
        removed += 1;
      }
    }
    return removed;
  }

  private path(id: string): string {
    if (!BLOB_ID.test(id)) throw new Error(`invalid blob id ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.tar.gz`);
  }
}
