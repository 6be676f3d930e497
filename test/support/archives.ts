import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import archiver from 'archiver';
import { ArchiveEntry, buildTarGz, githubTarball, githubTopDir } from '../../libs/stack/github-standin';

/**
 * Real tar.gz archives for tests: GitHub's layout (one `owner-repo-sha/` directory holding the
 * repository) and hostile variants, one per rejection reason of libs/tarballs/safety.ts.
 */

export type { ArchiveEntry, GithubTarballOptions } from '../../libs/stack/github-standin';
export { buildTarGz, githubTarball, githubTopDir };

export type HostileKind =
  | 'absolute_path'
  | 'dot_dot'
  | 'symlink_escape'
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
