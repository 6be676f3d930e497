import { EventEmitter } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, symlink, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tarFs from 'tar-fs';
import * as yauzl from 'yauzl';
import { walkTarball } from '../../libs/tarballs/inspect';
import { EntryGuard, EntryHeader, safeRelativePath, stripComponents, TarballRejected, TarLimits } from '../../libs/tarballs/safety';
import { MANIFEST_NAME, ZipManifest } from '../../libs/targets';

export type EntryHook = (header: EntryHeader) => Promise<void>;

/**
 * Extracts one spooled archive (tar.gz or zip, told apart by their magic bytes) into `dir`
 * under the shared safety rules. The guard is shared by all archives of a package, so its
 * limits and its "no writing through a symlink" memory span the whole staging directory.
 */
export async function extractArchive(file: string, dir: string, guard: EntryGuard, limits: TarLimits, onEntry: EntryHook): Promise<void> {
  const handle = await open(file, 'r');
  const magic = Buffer.alloc(4);
  await handle.read(magic, 0, 4, 0).finally(() => handle.close());
  if (magic[0] === 0x1f && magic[1] === 0x8b) return extractTarGz(file, dir, guard, limits, onEntry);
  if (magic.readUInt32LE(0) === 0x04034b50) return extractZip(file, dir, guard, limits, onEntry);
  throw new TarballRejected('corrupt', 'the archive is neither tar.gz nor zip');
}

/** tar.gz: our rules decide and rename each entry, then tar-fs (fed through a relay) writes it. */
async function extractTarGz(file: string, dir: string, guard: EntryGuard, limits: TarLimits, onEntry: EntryHook): Promise<void> {
  const relay = new EventEmitter();
  tarFs.extract(dir, { extract: relay as never, chown: false, dmode: 0o700, fmode: 0o600 } as tarFs.ExtractOptions);
  await walkTarball(
    createReadStream(file),
    limits,
    async (path, header, stream) => {
      await onEntry(header);
      header.name = path;
      if (header.type === 'link') header.linkname = stripComponents(safeRelativePath(header.linkname), limits.stripComponents ?? 1)!;
      await new Promise<void>((resolve, reject) => relay.emit('entry', header, stream, (err?: Error) => (err ? reject(err) : resolve())));
    },
    guard,
  );
}

const S_IFMT = 0o170000;
const ZIP_TYPES: Record<number, EntryHeader['type']> = { 0o120000: 'symlink', 0o010000: 'fifo', 0o020000: 'character-device', 0o060000: 'block-device' };

/** zip: yauzl reads the central directory; the root manifest.json is checked against what was written. */
async function extractZip(file: string, dir: string, guard: EntryGuard, limits: TarLimits, onEntry: EntryHook): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (err) {
    throw new TarballRejected('corrupt', `not a readable zip: ${(err as Error).message}`);
  }
  const written = new Map<string, number>();
  let manifest: ZipManifest | undefined;
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const mode = entry.externalFileAttributes >>> 16;
      const type = entry.fileName.endsWith('/') ? 'directory' : ZIP_TYPES[mode & S_IFMT] ?? 'file';
      const header: EntryHeader = { name: entry.fileName, type, size: entry.uncompressedSize };
      if (type === 'symlink') header.linkname = (await readAll(await openEntry(zip, entry), 4096)).toString('utf8');
      const path = guard.check(header);
      if (path === null) {
        if (safeRelativePath(entry.fileName) === MANIFEST_NAME) manifest = JSON.parse((await readAll(await openEntry(zip, entry), 64 << 20)).toString('utf8'));
        continue;
      }
      await onEntry(header);
      const target = join(dir, path);
      if (type === 'directory') {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      await unlink(target).catch(() => undefined); // never write through whatever is there already
      if (type === 'symlink') await symlink(header.linkname!, target);
      else await pipeline(await openEntry(zip, entry), createWriteStream(target, { flags: 'wx', mode: 0o600 | (mode & 0o755) }));
      if (type === 'file') written.set(path, entry.uncompressedSize);
    }
  } catch (err) {
    if (err instanceof TarballRejected || (err as NodeJS.ErrnoException).code) throw err;
    throw new TarballRejected('corrupt', `not a readable zip: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
  if (manifest) checkManifest(manifest, written);
}

function checkManifest(manifest: ZipManifest, written: Map<string, number>): void {
  for (const entry of manifest.entries ?? []) {
    if (entry.type !== 'file') continue;
    if (written.get(entry.path) !== entry.size) throw new TarballRejected('corrupt', `manifest.json lists ${entry.path} (${entry.size} bytes) but the zip does not hold it`);
  }
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
    const onEntry = (entry: yauzl.Entry) => (cleanup(), resolve(entry));
    const onEnd = () => (cleanup(), resolve(undefined));
    const onError = (err: Error) => (cleanup(), reject(err));
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));
}

async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) throw new TarballRejected('too_large', `a zip metadata entry exceeds ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

