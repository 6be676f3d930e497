import fc from 'fast-check';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { ApiError } from '../../libs/errors';
import { isBranchName, readPayload, recogniseWebhook } from '../../libs/intake/webhooks';
import { EntryGuard, EntryHeader, inspectTarball, TAR_REJECT_REASONS, TarballRejected } from '../../libs/tarballs';
import { checkedStatusUrl, statusUrlFor, TargetError } from '../../libs/targets';
import { buildTarGz, githubTarball } from '../support/archives';
import { githubPush, travisBuild } from '../support/payloads';
import { hostileHeaders, mutatedPayload, oddContentType, rawBody } from './generators';

/**
 * Property-based hostile input for the pure edges (no I/O): webhook recognition, status URL
 * templating, and the tar safety rules. Each surface runs at least 200 generated cases.
 */
const RUNS = { numRuns: 300 };
const INTAKE_CODES = ['deploy:no_payload', 'deploy:provider:not_supported'];

/** Runs fn; undefined on success, the ApiError code on a 400, and rethrows anything else (a crash). */
function intakeOutcome(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof ApiError && err.status === 400 && INTAKE_CODES.includes(err.code)) return err.code;
    throw err;
  }
}

describe('webhook recognition (readPayload + recogniseWebhook)', () => {
  it('answers arbitrary bodies, content types and headers with a spec code or a webhook', () => {
    fc.assert(
      fc.property(oddContentType(), rawBody(), hostileHeaders(), (contentType, body, headers) => {
        intakeOutcome(() => {
          const { json, text } = readPayload(contentType, body);
          const hook = recogniseWebhook(headers, json, text);
          expect(['github_push', 'github_ping', 'github_other', 'travis']).toContain(hook.kind);
        });
      }),
      RUNS,
    );
  });

  it('accepts mutated GitHub and Travis payloads only with a safe repository name and a sha', () => {
    fc.assert(
      fc.property(mutatedPayload(), hostileHeaders(), (payload, headers) => {
        const text = JSON.stringify(payload);
        intakeOutcome(() => {
          const hook = recogniseWebhook(headers, JSON.parse(text), text);
          if (hook.kind === 'github_push' || hook.kind === 'travis') {
            expect(hook.repository.fullName).toMatch(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/);
            expect([hook.repository.owner, hook.repository.name]).not.toContainEqual(expect.stringMatching(/^\.\.?$/));
            if (hook.branch !== undefined) expect(isBranchName(hook.branch)).toBe(true);
            expect(hook.sha).toMatch(/^[0-9a-f]{7,64}$/);
          }
        });
      }),
      RUNS,
    );
  });

  it('reads form bodies whatever their payload field holds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(JSON.stringify(githubPush()))), fc.string(), (payload, junk) => {
        const body = Buffer.from(`${junk}&payload=${encodeURIComponent(payload)}&${junk}`);
        intakeOutcome(() => readPayload('application/x-www-form-urlencoded; charset=utf-8', body));
      }),
      RUNS,
    );
  });

  it('survives deeply nested and wide JSON', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const nested = `{"after":"${'a'.repeat(40)}","ref":"refs/heads/main","repository":${'{"owner":'.repeat(5_000)}null${'}'.repeat(5_000)}}`;
    const wide = JSON.stringify({ ...travisBuild({ sha: 'b'.repeat(40) }), extra: Array.from({ length: 50_000 }, (_, i) => i) });
    for (const body of [deep, nested, wide]) {
      intakeOutcome(() => {
        const { json, text } = readPayload('application/json', Buffer.from(body));
        recogniseWebhook({}, json, text);
      });
    }
  });
});

describe('status URL templating', () => {
  const ids = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '.',
      '..',
      '@evil.example',
      '.evil.example',
      ':1',
      '/\\evil.example',
      '%2e%2e',
      '../../admin',
      '#x',
      '?x=1',
      '\ud800',
      'a b',
      '{{id}}',
    ),
  );
  const templates = fc
    .tuple(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.nat(),
      fc.constantFrom('{{id}}', '{{ id }}', '{{id}}{{id}}', ''),
    )
    .map(([url, at, placeholder]) => {
      const cut = at % (url.length + 1);
      return url.slice(0, cut) + placeholder + url.slice(cut);
    });
  const origin = (url: string) => new URL(url).origin;
  const wellFormed = (id: string) => {
    try {
      return encodeURIComponent(id) !== undefined;
    } catch {
      return false;
    }
  };

  it("never leaves the template's host, and encodes the id (checkedStatusUrl, used by TargetClient.status)", () => {
    fc.assert(
      fc.property(templates, ids, (template, id) => {
        let url: string;
        try {
          url = checkedStatusUrl(template, id);
        } catch (err) {
          expect(err).toBeInstanceOf(TargetError);
          expect((err as TargetError).kind).toBe('config');
          return;
        }
        expect(origin(url)).toBe(origin(template.replace(/\{\{\s*id\s*\}\}/g, 'x')));
        expect(url).toContain(encodeURIComponent(id));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the host for templates whose placeholder is after the host (statusUrlFor itself)', () => {
    fc.assert(
      fc.property(
        fc.webUrl(),
        fc.constantFrom('', '/', '/status/{{id}}', '/s?id={{ id }}', '#{{id}}'),
        ids.filter(wellFormed),
        (base, rest, id) => {
          const template = base.replace(/[?#].*$/, '') + rest;
          expect(origin(statusUrlFor(template, id))).toBe(origin(template.replace(/\{\{\s*id\s*\}\}/g, 'x')));
        },
      ),
      RUNS,
    );
  });

  it('lets a placeholder in the host pick the host (raw statusUrlFor), which TargetClient refuses', () => {
    expect(new URL(statusUrlFor('http://receiver.example{{id}}/status', '.evil.example')).host).toBe('receiver.example.evil.example');
    expect(() => checkedStatusUrl('http://receiver.example{{id}}/status', '.evil.example')).toThrow(TargetError);
  });
});

describe('tar safety rules', () => {
  const segment = fc.oneof(fc.constantFrom('a', 'b', '..', '.', '', 'C:', '~', 'x y', '\\', '..\\..', '\0'), fc.string({ maxLength: 6 }));
  const name = fc.oneof(
    fc.array(segment, { maxLength: 6 }).map((parts) => parts.join('/')),
    fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
  );
  const types = fc.oneof(
    fc.constantFrom(
      'file',
      'directory',
      'symlink',
      'link',
      'character-device',
      'block-device',
      'fifo',
      'contiguous-file',
      'pax-header',
      'unknown',
    ),
    fc.constant(null),
    fc.string({ maxLength: 8 }),
  );
  const size = fc.oneof(
    fc.nat({ max: 5_000 }),
    fc.integer({ min: -10, max: 0 }),
    fc.constant(Number.MAX_SAFE_INTEGER),
    fc.constant(Infinity),
    fc.constant(undefined),
  );
  const header = fc.record({ name, type: types, size, linkname: fc.option(name, { nil: undefined }) }) as fc.Arbitrary<EntryHeader>;

  it("accepts an entry only with its path (and a symlink's target) inside the root, else TarballRejected with a known reason", () => {
    fc.assert(
      fc.property(fc.array(header, { maxLength: 30 }), fc.constantFrom(0, 1), (entries, strip) => {
        const guard = new EntryGuard({ maxEntries: 20, maxBytes: 20_000, stripComponents: strip });
        for (const entry of entries) {
          let path: string | null;
          try {
            path = guard.check(entry);
          } catch (err) {
            expect(err).toBeInstanceOf(TarballRejected);
            expect(TAR_REJECT_REASONS).toContain((err as TarballRejected).reason);
            return;
          }
          if (path === null) continue;
          const normal = posix.normalize(path || '.');
          expect(path.startsWith('/') || normal === '..' || normal.startsWith('../') || path.includes('\\') || path.includes('\0')).toBe(
            false,
          );
          if (entry.type === 'symlink') {
            const resolved = posix.normalize(posix.join(posix.dirname(path), entry.linkname!.replace(/\\/g, '/')));
            expect(resolved === '..' || resolved.startsWith('../') || resolved.startsWith('/')).toBe(false);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  // A NaN size (a bad pax `size`) once turned the byte counter into NaN, disabling the limit.
  it('rejects an entry whose size is not a number as corrupt, so the byte limit holds', () => {
    const guard = new EntryGuard({ maxEntries: 10, maxBytes: 100, stripComponents: 0 });
    expect(() => guard.check({ name: 'odd', type: 'directory', size: NaN })).toThrow(expect.objectContaining({ reason: 'corrupt' }));
  });

  const inspect = (bytes: Buffer) => inspectTarball(Readable.from([bytes]), { maxEntries: 50, maxBytes: 64 * 1024 });
  const outcome = async (bytes: Buffer) => {
    try {
      await inspect(bytes);
      return 'accepted';
    } catch (err) {
      if (err instanceof TarballRejected) return err.reason;
      throw err;
    }
  };

  it('answers random bytes and gzipped garbage with `corrupt`', async () => {
    const { gzipSync } = await import('node:zlib');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, gzip) => {
        const reason = await outcome(gzip ? gzipSync(bytes) : Buffer.from(bytes));
        // Gzipped garbage may happen to be an empty tar (all-zero blocks or nothing at all).
        if (!(gzip && reason === 'accepted')) expect(reason).toBe('corrupt');
      }),
      { numRuns: 200, timeout: 3_000 },
    );
  });

  it('answers bit-flipped and truncated real tarballs with acceptance or a known reason', async () => {
    const good = await githubTarball({ files: { 'index.js': 'console.log(1)', 'lib/a.js': 'x' } });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.nat(), async (flips, cut) => {
        const bytes = Buffer.from(good.subarray(0, good.length - (cut % 8 === 0 ? cut % good.length : 0)));
        for (const [at, mask] of flips) bytes[at % bytes.length] ^= mask;
        expect(['accepted', ...TAR_REJECT_REASONS]).toContain(await outcome(bytes));
      }),
      { numRuns: 200, timeout: 3_000 },
    );
  });

  it('parses real archives of arbitrary entries into acceptance or a known reason', async () => {
    const entry = fc.record({
      name: fc.oneof(
        name.filter((n) => n !== '' && !n.includes('\0')),
        fc.constantFrom('wrap/a', 'wrap/../x', 'wrap/l/x'),
      ),
      type: fc.constantFrom<'file' | 'directory' | 'symlink' | 'link'>('file', 'directory', 'symlink', 'link'),
      linkname: fc.constantFrom('a', '../x', '/etc/passwd', 'wrap/a', '.', 'l'),
      content: fc.string({ maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 8 }), async (entries) => {
        let bytes: Buffer;
        try {
          bytes = await buildTarGz(entries.map((e) => (e.type === 'file' || e.type === 'directory' ? { ...e, linkname: undefined } : e)));
        } catch {
          return; // tar-stream cannot write it (e.g. a name too long): nothing to inspect
        }
        expect(['accepted', ...TAR_REJECT_REASONS]).toContain(await outcome(bytes));
      }),
      { numRuns: 200, timeout: 3_000 },
    );
  });
});
