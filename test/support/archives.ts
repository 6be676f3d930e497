import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import archiver from 'archiver';
import { ArchiveEntry, buildTarGz, githubTarball, githubTopDir } from '../../tools/github-standin/github-standin';

/**
 * Real tar.gz archives for tests: GitHub's layout (one `owner-repo-sha/` directory holding the
 * repository) and hostile variants, one per rejection reason of libs/tarballs/safety.ts.
 */

export type { ArchiveEntry, GithubTarballOptions } from '../../tools/github-standin/github-standin';
export { buildTarGz, githubTarball, githubTopDir };

export type HostileKind =
  | 'absolute_path'
  | 'dot_dot'
  | 'symlink_escape'
  | 'symlink_chain'
  | 'absolute_symlink'
  | 'write_through_symlink'
  | 'hardlink_escape'
  | 'char_device'
  | 'fifo'
  | 'too_many_entries'
  | 'too_large'
  | 'corrupt';

/** The reason each hostile archive is rejected with. */
export const HOSTILE_REASONS: Record<HostileKind, string> = {
  absolute_path: 'unsafe_path',
  dot_dot: 'unsafe_path',
  symlink_escape: 'unsafe_link',
  symlink_chain: 'unsafe_link',
  absolute_symlink: 'unsafe_link',
  write_through_symlink: 'unsafe_link',
  hardlink_escape: 'unsafe_link',
  char_device: 'device_file',
  fifo: 'device_file',
  too_many_entries: 'too_many_entries',
  too_large: 'too_large',
  corrupt: 'corrupt',
};

/** Limits the hostile `too_many_entries` and `too_large` archives exceed (and clean ones meet). */
export const TEST_LIMITS = { maxEntries: 50, maxBytes: 64 * 1024 };

/** A GitHub-layout tarball with one hostile entry (or shape); rejected under TEST_LIMITS. */
export async function hostileTarball(kind: HostileKind): Promise<Buffer> {
  const top = githubTopDir();
  const extra: Record<Exclude<HostileKind, 'corrupt'>, ArchiveEntry[]> = {
    absolute_path: [{ name: '/tmp/evil.txt', content: 'x' }],
    dot_dot: [{ name: `${top}/../../evil.txt`, content: 'x' }],
    symlink_escape: [{ name: `${top}/lib/escape`, type: 'symlink', linkname: '../../outside' }],
    symlink_chain: linkChainEscape(top),
    absolute_symlink: [{ name: `${top}/passwd`, type: 'symlink', linkname: '/etc/passwd' }],
    write_through_symlink: [
      { name: `${top}/up`, type: 'symlink', linkname: '.' },
      { name: `${top}/up/evil.txt`, content: 'x' },
    ],
    hardlink_escape: [{ name: `${top}/hard`, type: 'link', linkname: '/etc/passwd' }],
    char_device: [{ name: `${top}/tty`, type: 'character-device' }],
    fifo: [{ name: `${top}/pipe`, type: 'fifo' }],
    too_many_entries: Array.from({ length: TEST_LIMITS.maxEntries + 1 }, (_, i) => ({ name: `${top}/many/${i}.txt`, content: 'x' })),
    too_large: [{ name: `${top}/big.bin`, content: Buffer.alloc(TEST_LIMITS.maxBytes + 1, 7) }],
  };
  if (kind === 'corrupt') {
    const good = await githubTarball();
    return good.subarray(0, Math.floor(good.length / 2));
  }
  return githubTarball({ files: { 'index.js': 'ok' }, extra: extra[kind] });
}

/** Directories the link chain of linkChainEscape nests in: more than any deploy directory is deep. */
const CHAIN_DEPTH = 24;

/**
 * Security review finding 3 (docs/reliability.md#security-findings-issue-18-receiver-and-archives): `d1/…/d24/s -> ../…/..` leads to the root (inside), and
 * `t -> d1/…/d24/s/../…/../etc/passwd` reads as `d1/etc/passwd` (inside) as text, but the kernel
 * follows `s` first and lands on /etc/passwd. `order: 'link-last'` puts `t` before `s`, so `s`
 * only redirects `t` after `t` was checked.
 */
export function linkChainEscape(top: string, order: 'link-first' | 'link-last' = 'link-first'): ArchiveEntry[] {
  const dirs = Array.from({ length: CHAIN_DEPTH }, (_, i) => `d${i + 1}`).join('/');
  const up = Array.from({ length: CHAIN_DEPTH }, () => '..').join('/');
  const s: ArchiveEntry = { name: `${top}/${dirs}/s`, type: 'symlink', linkname: up };
  const t: ArchiveEntry = { name: `${top}/t`, type: 'symlink', linkname: `${dirs}/s/${up}/etc/passwd` };
  const dir: ArchiveEntry = { name: `${top}/${dirs}/`, type: 'directory' };
  return order === 'link-first' ? [dir, s, t] : [t, dir, s];
}

/**
 * A zip written by hand (stored entries, no compression): `listing` is its central directory,
 * each row naming one of `files` by index, so a test can list one body many times or under
 * several names, or use names other writers refuse (`../`).
 */
export function storedZip(
  files: Array<{ name: string; content: string | Buffer }>,
  listing = files.map((f, i) => ({ name: f.name, file: i })),
): Buffer {
  const locals: Buffer[] = [];
  const offsets: number[] = [];
  const crcs: number[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name);
    const data = Buffer.from(file.content);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(0x0800, 6); // UTF-8 names
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(data.length, 18);
    header.writeUInt32LE(data.length, 22);
    header.writeUInt16LE(name.length, 26);
    offsets.push(offset);
    crcs.push(crc32(data));
    locals.push(header, name, data);
    offset += header.length + name.length + data.length;
  }
  const central: Buffer[] = [];
  for (const row of listing) {
    const name = Buffer.from(row.name);
    const size = Buffer.from(files[row.file].content).length;
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(0x031e, 4); // made by Unix, so the mode below counts
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt32LE(crcs[row.file], 16);
    header.writeUInt32LE(size, 20);
    header.writeUInt32LE(size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    header.writeUInt32LE(offsets[row.file], 42);
    central.push(header, name);
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(listing.length, 8);
  end.writeUInt16LE(listing.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A stream of `bytes` random (incompressible) bytes, produced lazily in chunks. */
export function noiseStream(bytes: number, chunk = 64 * 1024): Readable {
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const size = Math.min(chunk, left);
      left -= size;
      this.push(randomBytes(size));
    },
  });
}

/** A zip as the client's repack makes it (wrapper directory kept), but with whatever entries are given. */
export async function buildZip(entries: ArchiveEntry[]): Promise<Buffer> {
  const zip = archiver('zip');
  const chunks: Buffer[] = [];
  zip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => zip.on('end', resolve).on('error', reject));
  for (const entry of entries) {
    if (entry.type === 'symlink') zip.symlink(entry.name, entry.linkname!);
    else zip.append(Buffer.from(entry.content ?? ''), { name: entry.name, mode: entry.mode });
  }
  await zip.finalize();
  await done;
  return Buffer.concat(chunks);
}
