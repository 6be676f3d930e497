import fc from 'fast-check';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { checkExtractedLinks, extractArchive } from '../../apps/receiver/extract';
import { inspectTarball } from '../../libs/tarballs/inspect';
import { EntryGuard, TAR_REJECT_REASONS, TarballRejected } from '../../libs/tarballs/safety';
import { ArchiveEntry, buildTarGz, buildZip, githubTopDir, linkChainEscape } from '../support/archives';

/**
 * Security review finding 3 (docs/reliability.md#security-findings-issue-18-receiver-and-archives), as a property: archives of symlink chains (links through links, links
 * a later link redirects, `..` runs, in any order), as tar.gz and zip. Whatever the worker's
 * inspection accepts, and whatever the receiver's extraction writes (accepted or not), no
 * symlink may lead outside the app directory. "Leads" is decided by the kernel's own rule,
 * walked over the real filesystem (lstat/readlink), not by the rules under test.
 */
const LIMITS = { maxEntries: 50, maxBytes: 64 * 1024, stripComponents: 1 };
const TOP = githubTopDir();
const RUNS = Number(process.env.LINK_RUNS ?? 250);

const name = fc.constantFrom('a', 'b', 'c', 's', 't');
const dirPath = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const linkPath = fc.tuple(fc.option(dirPath, { nil: undefined }), name).map(([dir, last]) => (dir ? `${dir}/${last}` : last));
const targetPart = fc.oneof(
  { weight: 5, arbitrary: fc.constant('..') },
  { weight: 5, arbitrary: name },
  { weight: 1, arbitrary: fc.constantFrom('.', 'etc', 'passwd') },
);
const target = fc.array(targetPart, { minLength: 1, maxLength: 10 }).map((parts) => parts.join('/'));
const entry: fc.Arbitrary<ArchiveEntry> = fc.oneof(
  { weight: 1, arbitrary: dirPath.map((dir): ArchiveEntry => ({ name: `${TOP}/${dir}/`, type: 'directory' })) },
  {
    weight: 4,
    arbitrary: fc.tuple(linkPath, target).map(([path, linkname]): ArchiveEntry => ({ name: `${TOP}/${path}`, type: 'symlink', linkname })),
  },
);
/** Random chains, and the finding's own chain in both orders with random entries around it. */
const chains = fc.oneof(
  { weight: 4, arbitrary: fc.array(entry, { minLength: 1, maxLength: 10 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom<'link-first' | 'link-last'>('link-first', 'link-last'), fc.array(entry, { maxLength: 4 }), fc.nat())
      .map(([order, extra, at]) => {
        const chain = linkChainEscape(TOP, order);
        const cut = at % (extra.length + 1);
        return [...extra.slice(0, cut), ...chain, ...extra.slice(cut)];
      }),
  },
);

let suiteRoot: string;
beforeAll(async () => {
  suiteRoot = await mkdtemp(join(tmpdir(), 'archive-links-'));
});
afterAll(async () => {
  await rm(suiteRoot, { recursive: true, force: true });
});

let cases = 0;
/** A fresh `sandbox/p1/p2/p3/app`: escapes of a few `..` land in the sandbox, where they can be seen. */
async function sandbox(): Promise<{ root: string; app: string }> {
  cases += 1;
  const root = join(suiteRoot, `case-${cases}`);
  const app = join(root, 'p1', 'p2', 'p3', 'app');
  await mkdir(app, { recursive: true });
  return { root, app };
}

/**
 * Where a symlink leads, as the kernel resolves it: component by component, reading every
 * symlink met (the last one too) before `..` applies. A missing component counts as a directory
 * the app could create later. A loop leads nowhere (ELOOP).
 */
function leadsTo(dir: string, linkTarget: string, hops = { left: 40 }): string | undefined {
  let current = linkTarget.startsWith('/') ? '/' : dir;
  for (const part of linkTarget.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    let isLink = false;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      // missing: a directory the app may create
    }
    if (!isLink) {
      current = next;
      continue;
    }
    hops.left -= 1;
    if (hops.left < 0) return undefined;
    const via = leadsTo(current, readlinkSync(next), hops);
    if (via === undefined) return undefined;
    current = via;
  }
  return current;
}

/**
 * Every path below `dir`, symlinks listed but never followed. Not readdirSync's `recursive`:
 * Node 20 follows symlinked directories without withFileTypes, Node 24 with it too (and loops).
 */
function pathsBelow(dir: string): Array<{ full: string; link: boolean }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((item) => {
    const full = join(dir, item.name);
    return item.isDirectory() ? [{ full, link: false }, ...pathsBelow(full)] : [{ full, link: item.isSymbolicLink() }];
  });
}

/** Every symlink below `app` whose kernel resolution is outside `app`, as "link -> where". */
function escapingLinks(app: string): string[] {
  const out: string[] = [];
  for (const { full, link } of pathsBelow(app)) {
    if (!link) continue;
    const where = leadsTo(dirname(full), readlinkSync(full));
    if (where !== undefined && where !== app && !where.startsWith(app + sep))
      out.push(`${relative(app, full)} -> ${readlinkSync(full)} leads to ${where}`);
  }
  return out;
}

/** What exists in the sandbox outside the app directory, besides the directories holding it. */
function outsideApp(root: string, app: string): string[] {
  const holders = new Set(['p1', 'p1/p2', 'p1/p2/p3', 'p1/p2/p3/app'].map((p) => join(root, p)));
  return pathsBelow(root)
    .map(({ full }) => full)
    .filter((full) => !holders.has(full) && !full.startsWith(app + sep))
    .map((full) => relative(root, full));
}

/** The archive's entries written as they are (no rules), in order, with the wrapper stripped. */
async function materialise(entries: ArchiveEntry[], app: string): Promise<void> {
  for (const e of entries) {
    const path = join(app, e.name.slice(TOP.length + 1));
    try {
      if (e.type === 'directory') await mkdir(path, { recursive: true });
      else {
        await mkdir(dirname(path), { recursive: true });
        await rm(path, { force: true });
        if (e.type === 'symlink') await symlink(e.linkname!, path);
        else await writeFile(path, e.content ?? '');
      }
    } catch {
      // what the filesystem refuses (a link where a directory is) is not written by anyone
    }
  }
}

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'accepted';
  } catch (err) {
    if (err instanceof TarballRejected) return err.reason;
    throw err;
  }
}

describe('archive link chains (property)', () => {
  it(`the worker's inspection accepts no tar.gz whose links, written as they are, lead outside (${RUNS} cases)`, async () => {
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(chains, async (entries) => {
        const tarball = await buildTarGz(entries);
        const verdict = await outcome(() => inspectTarball(Readable.from([tarball]), LIMITS));
        expect(['accepted', ...TAR_REJECT_REASONS]).toContain(verdict);
        if (verdict !== 'accepted') return void (rejected += 1);
        accepted += 1;
        const { root, app } = await sandbox();
        await materialise(entries, app);
        expect(escapingLinks(app)).toEqual([]);
        await rm(root, { recursive: true, force: true });
      }),
      { numRuns: RUNS, timeout: 10_000 },
    );
    // Both sides of the property were exercised.
    expect({ accepted: accepted > 10, rejected: rejected > 10 }).toEqual({ accepted: true, rejected: true });
  });

  it.each(['tar.gz', 'zip'] as const)(
    `the receiver's extraction of a %s leaves no link leading outside, accepted or not (${RUNS} cases)`,
    async (format) => {
      const verdicts = new Set<string>();
      await fc.assert(
        fc.asyncProperty(chains, async (entries) => {
          const archive = format === 'zip' ? await buildZip(entries) : await buildTarGz(entries);
          const { root, app } = await sandbox();
          const file = join(root, `archive.${format}`);
          await writeFile(file, archive);
          const guard = new EntryGuard(LIMITS);
          const verdict = await outcome(() => extractArchive(file, app, guard, LIMITS, async () => undefined));
          verdicts.add(verdict);
          expect(['accepted', ...TAR_REJECT_REASONS]).toContain(verdict);
          expect(escapingLinks(app)).toEqual([]);
          expect(outsideApp(root, app).filter((p) => p !== `archive.${format}`)).toEqual([]);
          // The receiver's second opinion on disk agrees with what the rules let through.
          if (verdict === 'accepted') await expect(checkExtractedLinks(app)).resolves.toBeUndefined();
          await rm(root, { recursive: true, force: true });
        }),
        { numRuns: RUNS, timeout: 10_000 },
      );
      expect(verdicts).toContain('accepted');
      expect(verdicts).toContain('unsafe_link');
    },
  );
});
