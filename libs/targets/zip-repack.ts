import archiver from 'archiver';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { walkTarball } from '../tarballs/inspect';
import { safeRelativePath, TarLimits } from '../tarballs/safety';

/**
 * Repacks a GitHub tar.gz as a zip while streaming. Entry names stay as in the tarball (with
 * GitHub's `owner-repo-sha/` wrapper) so a receiver extracts both formats with one rule, strip
 * the wrapper; `manifest.json` sits beside the wrapper (and so is stripped away, never colliding
 * with an app's own manifest.json). Paths in the manifest are relative to the app root.
 * Hardlinks cannot be expressed in a zip and are listed in the manifest only (git never makes them).
 */
export interface ManifestEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  size: number;
  sha256?: string;
  target?: string;
}

export interface ZipManifest {
  format: 1;
  /** The wrapper directory the entries sit in, inside the zip. */
  root: string;
  entries: ManifestEntry[];
}

export const MANIFEST_NAME = 'manifest.json';

/** Defaults wide enough for any real repository; the worker's `inspect` step has applied the configured ones. */
const REPACK_LIMITS: TarLimits = { maxEntries: 1_000_000, maxBytes: Number.MAX_SAFE_INTEGER };

export function tarGzToZip(source: Readable, limits: TarLimits = REPACK_LIMITS): Readable {
  const zip = archiver('zip', { zlib: { level: 6 } });
  const manifest: ZipManifest = { format: 1, root: '', entries: [] };

  walkTarball(source, limits, async (path, header, stream) => {
    const name = safeRelativePath(header.name);
    manifest.root ||= name === path ? '' : name.slice(0, name.length - path.length - 1);
    const base = { path, size: 0 };
    if (header.type === 'directory') {
      await appendEntry(zip, name, () =>
        zip.append(Buffer.alloc(0), { name: `${name}/`, type: 'directory', date: header.mtime, mode: header.mode } as archiver.EntryData),
      );
      manifest.entries.push({ ...base, type: 'directory' });
    } else if (header.type === 'symlink') {
      await appendEntry(zip, name, () => zip.symlink(name, header.linkname, header.mode));
      manifest.entries.push({ ...base, type: 'symlink', target: header.linkname });
    } else if (header.type === 'link') {
      stream.resume();
      manifest.entries.push({ ...base, type: 'link', target: safeRelativePath(header.linkname) });
    } else {
      const hash = createHash('sha256');
      let size = 0;
      const body = Readable.from(
        (async function* () {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        })(),
        { objectMode: false },
      );
      await appendEntry(zip, name, () => zip.append(body, { name, date: header.mtime, mode: header.mode }));
      manifest.entries.push({ ...base, type: 'file', size, sha256: hash.digest('hex') });
    }
  }).then(
    () => {
      zip.append(JSON.stringify(manifest, null, 2), { name: MANIFEST_NAME });
      void zip.finalize();
    },
    (err: Error) => zip.destroy(err),
  );
  return zip;
}

/** Queues one entry and resolves once archiver has written it, keeping one entry in flight. */
function appendEntry(zip: archiver.Archiver, name: string, queue: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onEntry = (data: archiver.EntryData) => {
      if (data.name.replace(/\/$/, '') !== name) return;
      zip.off('entry', onEntry).off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      zip.off('entry', onEntry);
      reject(err);
    };
    zip.on('entry', onEntry).once('error', onError);
    queue();
  });
}
