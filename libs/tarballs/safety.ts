import { posix } from 'node:path';
import type { ErrorCode } from '../errors/catalogue';
import { printable } from '../logging/printable';

/**
 * The rules every archive entry must pass, shared by the worker's `inspect` step, the zip
 * repacking in libs/targets and the reference receiver's extraction, so all three accept and
 * reject exactly the same archives. Pure: no I/O, one `EntryGuard` per archive.
 */
export const TAR_REJECT_REASONS = ['unsafe_path', 'unsafe_link', 'device_file', 'too_many_entries', 'too_large', 'corrupt'] as const;
export type TarRejectReason = (typeof TAR_REJECT_REASONS)[number];

export class TarballRejected extends Error {
  constructor(
    readonly reason: TarRejectReason,
    message: string,
  ) {
    // Messages quote entry names, which are outside input: escaped once here for every log and status log.
    super(printable(message));
    this.name = 'TarballRejected';
  }

  /** The status-log code the workflow records, e.g. `deploy:tar:unsafe_link`. */
  get code(): ErrorCode {
    // Compiles only while every reason has its `deploy:tar:<reason>` entry in the catalogue.
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
  /** Why maxBytes is what it is, when a caller derived it (a compression ratio, free disk); quoted in `too_large`. */
  maxBytesReason?: string;
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
 * Checks the entries of one archive in order. Stateful because three rules need memory: a later
 * entry must not be written through an earlier symlink, a hardlink may only point at an
 * earlier regular file (never at a symlink, which would re-anchor its relative target), and a
 * symlink's target is resolved through the symlinks around it (LinkTree), not read as text.
 */
export class EntryGuard {
  private count = 0;
  private total = 0;
  private readonly symlinks = new Set<string>();
  private readonly files = new Set<string>();
  private readonly links: LinkTree;
  private readonly strip: number;

  constructor(private readonly limits: TarLimits) {
    this.strip = limits.stripComponents ?? GITHUB_STRIP_COMPONENTS;
    this.links = new LinkTree(Math.max(100_000, 64 * limits.maxEntries));
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
    if (header.size !== undefined && !Number.isFinite(header.size))
      throw new TarballRejected('corrupt', `entry ${header.name} has no valid size`);
    this.total += Math.max(0, header.size ?? 0);
    if (this.total > this.limits.maxBytes) {
      const why = this.limits.maxBytesReason ? ` (${this.limits.maxBytesReason})` : '';
      throw new TarballRejected('too_large', `more than ${this.limits.maxBytes} bytes${why}`);
    }
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
    this.links.add(path, target, header.name);
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

/** Linux's PATH_MAX: no legitimate symlink target is longer. */
const MAX_LINK_TARGET = 4096;

/**
 * What a symlink target may look like at all: relative, no NUL, and no backslash — the
 * filesystem reads a backslash as part of a name, so the rules (which read it as a separator,
 * as they do in entry names) would judge a different path than the one the kernel follows.
 */
function checkLinkTarget(name: string, target: string): void {
  if (/^([/\\]|[A-Za-z]:)/.test(target)) throw new TarballRejected('unsafe_link', `symlink ${name} points to the absolute path ${target}`);
  if (/[\\\0]/.test(target))
    throw new TarballRejected('unsafe_link', `symlink ${name} -> ${target} has a backslash or NUL byte in its target`);
  if (Buffer.byteLength(target) > MAX_LINK_TARGET)
    throw new TarballRejected('unsafe_link', `symlink ${name} has a target longer than ${MAX_LINK_TARGET} bytes`);
}

/** Most symlinks one resolution follows, as the kernel's ELOOP limit. */
const MAX_HOPS = 40;
/** Deepest directory a resolution may reach. */
const MAX_DEPTH = 256;

/**
 * The symlinks of one extraction root, resolved the way the kernel will: a target is walked
 * component by component from the link's directory, and every component that is itself a
 * symlink is replaced by its target before `..` is applied. Reading targets as text is not
 * enough: with `a/b/s -> ../..` (inside), `t -> a/b/s/../../etc` normalises to `a/etc` but
 * leads two levels above the root.
 *
 * Archive order does not matter either: a link may pass through a path that only later
 * becomes a symlink (git archives are sorted, so `bin/x -> ../lib/cur/x` comes before
 * `lib/cur -> v2`). Every walk records the paths it passed through; when one of them becomes a
 * symlink, the links that passed through it are resolved again. A symlink is never redefined
 * to another target, so each path triggers that at most once; a budget of walked components
 * bounds the work an archive can cause.
 */
export class LinkTree {
  private readonly links = new Map<string, string>();
  /** A path a resolution passed through (not its end) → the links whose resolution did. */
  private readonly passedBy = new Map<string, Set<string>>();
  private readonly names = new Map<string, string>();
  private steps = 0;

  constructor(private readonly maxSteps: number) {}

  /**
   * Adds the symlink at `path` (below the root) to `target`; throws `unsafe_link` when it, or an
   * earlier link it redirects, would lead outside the root. Returns where it leads.
   */
  add(path: string, target: string, name = path): string {
    const known = this.links.get(path);
    if (known !== undefined) {
      if (known === target) return this.resolve(path, target); // a repeated entry changes nothing
      throw new TarballRejected('unsafe_link', `symlink ${name} is defined twice, with different targets`);
    }
    checkLinkTarget(name, target);
    // Read as text too: a target that only stays inside because a link it passes through is deep
    // (`s/../..` with `s -> a/b`) is refused like the extractors (tar-fs) refuse it.
    const textual = posix.normalize(posix.join(posix.dirname(path), target));
    if (textual === '..' || textual.startsWith('../'))
      throw new TarballRejected('unsafe_link', `symlink ${name} -> ${target} leaves the root`);
    const resolved = this.resolve(path, target);
    this.links.set(path, target);
    this.names.set(path, name);
    for (const other of this.passedBy.get(path) ?? []) {
      try {
        this.resolve(other, this.links.get(other) ?? target);
      } catch (err) {
        if (!(err instanceof TarballRejected)) throw err;
        const earlier = this.names.get(other) ?? other;
        throw new TarballRejected(
          'unsafe_link',
          `symlink ${name} -> ${target} redirects ${earlier === name ? 'itself' : `the symlink ${earlier}`}: ${err.message}`,
        );
      }
    }
    return resolved;
  }

  /** Where the symlink at `path` with `target` leads, as a path below the root ('' is the root). */
  private resolve(path: string, target: string): string {
    const name = this.names.get(path) ?? path;
    const current = path.split('/').slice(0, -1);
    const pending = components(target).reverse();
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.pop()!;
      this.steps += 1;
      if (this.steps > this.maxSteps)
        throw new TarballRejected('unsafe_link', `the symlinks' targets exceed ${this.maxSteps} path components in total`);
      if (part === '..') {
        if (current.length === 0) throw new TarballRejected('unsafe_link', `symlink ${name} -> ${target} leaves the root`);
        current.pop();
        continue;
      }
      current.push(part);
      if (current.length > MAX_DEPTH)
        throw new TarballRejected('unsafe_link', `symlink ${name} -> ${target} goes deeper than ${MAX_DEPTH} directories`);
      // The last component is not followed here: if it is (or becomes) a symlink, that link is checked on its own.
      if (pending.length === 0) break;
      const here = current.join('/');
      let walkers = this.passedBy.get(here);
      if (!walkers) this.passedBy.set(here, (walkers = new Set()));
      walkers.add(path);
      const link = this.links.get(here);
      if (link === undefined) continue;
      hops += 1;
      if (hops > MAX_HOPS) throw new TarballRejected('unsafe_link', `symlink ${name} -> ${target} runs into a loop of symlinks`);
      current.pop();
      pending.push(...components(link).reverse());
    }
    return current.join('/');
  }
}

function components(target: string): string[] {
  return target.split('/').filter((part) => part !== '' && part !== '.');
}
