import { EventEmitter } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readlink, symlink, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tarFs from 'tar-fs';
import * as yauzl from 'yauzl';
import { walkTarball } from '../../libs/tarballs/inspect';
import {
  EntryGuard,
  EntryHeader,
  LinkTree,
  safeRelativePath,
  stripComponents,
  TarballRejected,
  TarLimits,
} from '../../libs/tarballs/safety';
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
  try {
    if (magic[0] === 0x1f && magic[1] === 0x8b) return await extractTarGz(file, dir, guard, limits, onEntry);
    if (magic.readUInt32LE(0) === 0x04034b50) return await extractZip(file, dir, guard, limits, onEntry);
  } catch (err) {
    throw asExtractionError(err, dir);
  }
  throw new TarballRejected('corrupt', 'the archive is neither tar.gz nor zip');
}

/**
 * The symlinks as they are on disk after extraction, resolved together (LinkTree, in any
 * order): a second opinion after the entry rules, so whatever the extractors did, no link
 * in `dir` leads outside it before hooks run or the release goes live.
 */
export async function checkExtractedLinks(dir: string): Promise<void> {
  const links = new LinkTree(Number.MAX_SAFE_INTEGER);
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isSymbolicLink()) continue;
    const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const path = relative(dir, full).split(sep).join('/');
    links.add(path, await readlink(full));
  }
}

/**
 * Failures of the filesystem and of tar-fs name absolute paths of this server; they become
 * archive rejections worded relative to the extraction root. A full disk is the receiver's
 * problem, not the archive's. Anything else (a hook's own error) passes unchanged.
 */
function asExtractionError(err: unknown, dir: string): unknown {
  if (err instanceof TarballRejected) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return new Error('the deploy disk is full');
  const message = withoutRoot(String(e?.message ?? err), dir);
  if (typeof e?.code === 'string' && typeof e.syscall === 'string')
    return new TarballRejected('corrupt', `the archive cannot be extracted: ${message}`);
  if (/ is not a valid (symlink|hardlink)$/.test(message)) return new TarballRejected('unsafe_link', message);
  if (/ is not a valid path$/.test(message))
    return new TarballRejected('corrupt', `${message}: a file is where the archive needs a directory`);
  return err;
}

function withoutRoot(message: string, dir: string): string {
  return message.split(`${dir}${sep}`).join('').split(dir).join('.');
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
const ZIP_TYPES: Record<number, EntryHeader['type']> = {
  0o120000: 'symlink',
  0o010000: 'fifo',
  0o020000: 'character-device',
  0o060000: 'block-device',
};

/** zip: yauzl reads the central directory; the root manifest.json is checked against what was written. */
async function extractZip(file: string, dir: string, guard: EntryGuard, limits: TarLimits, onEntry: EntryHook): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    // Names are decoded here, not by yauzl: its own check would report `../` as an unreadable zip
    // (corrupt) where the rules say unsafe_path.
    zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true, decodeStrings: false });
  } catch (err) {
    throw new TarballRejected('corrupt', `not a readable zip: ${(err as Error).message}`);
  }
  const written = new Map<string, number>();
  const names = new Set<string>();
  const offsets = new Set<number>();
  let manifest: ZipManifest | undefined;
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      refuseRepeats(name, entry, names, offsets);
      const mode = entry.externalFileAttributes >>> 16;
      const type = name.endsWith('/') ? 'directory' : (ZIP_TYPES[mode & S_IFMT] ?? 'file');
      const header: EntryHeader = { name, type, size: entry.uncompressedSize };
      if (type === 'symlink') header.linkname = (await readAll(await openEntry(zip, entry), 4096)).toString('utf8');
      const path = guard.check(header);
      if (path === null) {
        if (safeRelativePath(name) === MANIFEST_NAME)
          manifest = JSON.parse((await readAll(await openEntry(zip, entry), 64 << 20)).toString('utf8')) as ZipManifest;
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

/**
 * A zip's central directory can list one entry many times, or many names over one compressed
 * body, each written in full: a few KiB that extract to gigabytes. Neither has a use.
 */
function refuseRepeats(name: string, entry: yauzl.Entry, names: Set<string>, offsets: Set<number>): void {
  const path = safeRelativePath(name);
  if (names.has(path)) throw new TarballRejected('corrupt', `the zip lists ${name} more than once`);
  if (offsets.has(entry.relativeOffsetOfLocalHeader))
    throw new TarballRejected('corrupt', `the zip entry ${name} shares its data with an earlier entry`);
  names.add(path);
  offsets.add(entry.relativeOffsetOfLocalHeader);
}

function checkManifest(manifest: ZipManifest, written: Map<string, number>): void {
  for (const entry of manifest.entries ?? []) {
    if (entry.type !== 'file') continue;
    if (written.get(entry.path) !== entry.size)
      throw new TarballRejected('corrupt', `manifest.json lists ${entry.path} (${entry.size} bytes) but the zip does not hold it`);
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
