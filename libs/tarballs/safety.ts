import { posix } from 'node:path';

/**
 * The rules every archive entry must pass, shared by the worker's `inspect` step, the zip
 * repacking in libs/targets and the reference receiver's extraction, so all three accept and
 * reject exactly the same archives. Pure: no I/O, one `EntryGuard` per archive.
 */
export const TAR_REJECT_REASONS = ['unsafe_path', 'unsafe_link', 'device_file', 'too_many_entries', 'too_large', 'corrupt'] as const;
export type TarRejectReason = (typeof TAR_REJECT_REASONS)[number];

export class TarballRejected extends Error {
  constructor(readonly reason: TarRejectReason, message: string) {
    super(message);
    this.name = 'TarballRejected';
  }

  /** The status-log code the workflow records, e.g. `deploy:tar:unsafe_link`. */
  get code(): string {
    return `deploy:tar:${this.reason}`;
  }
}

/**
 * GitHub tarballs wrap everything in one `owner-repo-sha/` directory; every consumer strips it
 * (like `tar --strip-components=1`), so links are judged against the app's root, not the wrapper.
 */
export const GITHUB_STRIP_COMPONENTS = 1;

export interface TarLimits {
  maxEntries: number;
  /** Total declared (uncompressed) size of all entries. */
  maxBytes: number;
  /** Leading path components removed from every entry; default GITHUB_STRIP_COMPONENTS. */
  stripComponents?: number;
}

/** The fields of a tar-stream header the rules look at; zip entries are mapped onto it. */
export interface EntryHeader {
  name: string;
  type: string | null;
  size?: number;
  linkname?: string | null;
}

const DEVICE_TYPES = new Set(['character-device', 'block-device', 'fifo']);
const SUPPORTED_TYPES = new Set(['file', 'directory', 'symlink', 'link']);

/** Normalises an entry name to `a/b/c`, rejecting absolute paths and `..` anywhere. */
export function safeRelativePath(name: string, reason: TarRejectReason = 'unsafe_path'): string {
  if (name.includes('\0')) throw new TarballRejected(reason, `entry name contains a NUL byte: ${JSON.stringify(name)}`);
  // Backslashes count as separators too: zips made on Windows use them, and extraction on any OS must agree.
  if (/^([/\\]|[A-Za-z]:)/.test(name)) throw new TarballRejected(reason, `absolute path: ${name}`);
  const parts = name.split(/[/\\]+/).filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new TarballRejected(reason, `path leaves the root: ${name}`);
  return parts.join('/');
}

/** Drops `count` leading components; null when nothing is left (the wrapper itself, or a file beside it). */
export function stripComponents(path: string, count: number): string | null {
  const parts = path === '' ? [] : path.split('/');
  return parts.length > count ? parts.slice(count).join('/') : null;
}

/**
 * Checks the entries of one archive in order. Stateful because two rules need memory: a later
 * entry must not be written through an earlier symlink, and a hardlink may only point at an
 * earlier regular file (never at a symlink, which would re-anchor its relative target).
 */
export class EntryGuard {
  private count = 0;
  private total = 0;
  private readonly symlinks = new Set<string>();
  private readonly files = new Set<string>();
  private readonly strip: number;

  constructor(private readonly limits: TarLimits) {
    this.strip = limits.stripComponents ?? GITHUB_STRIP_COMPONENTS;
  }

  get totals(): { entries: number; bytes: number } {
    return { entries: this.count, bytes: this.total };
  }

  /** Returns the entry's path below the extraction root, or null when it is stripped away (skip it). */
  check(header: EntryHeader): string | null {
    this.count += 1;
    if (this.count > this.limits.maxEntries) {
      throw new TarballRejected('too_many_entries', `more than ${this.limits.maxEntries} entries`);
    }
    // A size that is not a number (a bad pax header) would turn the running total into NaN and
    // silently disable the byte limit.
    if (header.size !== undefined && !Number.isFinite(header.size)) throw new TarballRejected('corrupt', `entry ${header.name} has no valid size`);
    this.total += Math.max(0, header.size ?? 0);
    if (this.total > this.limits.maxBytes) throw new TarballRejected('too_large', `more than ${this.limits.maxBytes} bytes`);
    const type = header.type ?? 'unknown';
    if (DEVICE_TYPES.has(type)) throw new TarballRejected('device_file', `${type} entry: ${header.name}`);
    if (!SUPPORTED_TYPES.has(type)) throw new TarballRejected('corrupt', `unsupported entry type ${type}: ${header.name}`);

    const path = stripComponents(safeRelativePath(header.name), this.strip);
    if (path === null) return null;
    const through = this.symlinkPrefix(path);
    if (through) throw new TarballRejected('unsafe_link', `${header.name} would be written through the symlink ${through}`);

    if (type === 'symlink') this.checkSymlink(path, header);
    else if (type === 'link') this.checkHardlink(path, header);
    else if (type === 'file') this.files.add(path);
    return path;
  }

  private checkSymlink(path: string, header: EntryHeader): void {
    const target = header.linkname ?? '';
    if (target === '') throw new TarballRejected('corrupt', `symlink without a target: ${header.name}`);
    if (/^([/\\]|[A-Za-z]:)/.test(target)) throw new TarballRejected('unsafe_link', `symlink ${header.name} points to the absolute path ${target}`);
    const resolved = posix.normalize(posix.join(posix.dirname(path), target.replace(/\\/g, '/')));
    if (resolved === '..' || resolved.startsWith('../')) {
      throw new TarballRejected('unsafe_link', `symlink ${header.name} -> ${target} leaves the root`);
    }
    this.files.delete(path);
    this.symlinks.add(path);
  }

  private checkHardlink(path: string, header: EntryHeader): void {
    const raw = header.linkname ?? '';
    const target = raw === '' ? null : stripComponents(safeRelativePath(raw, 'unsafe_link'), this.strip);
    if (target === null || !this.files.has(target)) {
      throw new TarballRejected('unsafe_link', `hardlink ${header.name} -> ${raw} does not point to an earlier file of the archive`);
    }
    this.files.add(path);
  }

  private symlinkPrefix(path: string): string | undefined {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i += 1) {
      const prefix = parts.slice(0, i).join('/');
      if (this.symlinks.has(prefix)) return prefix;
    }
    return undefined;
  }
}
