import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_ENTRIES } from '../libs/errors/catalogue';
import { TAR_REJECT_REASONS } from '../libs/tarballs/safety';

/**
 * Every error code asserted (docs/reliability.md#every-error-code-asserted): every error code of the catalogue (libs/errors/catalogue.ts:
 * the API's codes, the activities' failure codes, the workflow's, the receiver's) is named by at
 * least one test. The catalogue is the only place a code is written, outside tests and
 * the clients that read codes they receive. Pure: reads the repository's files, starts nothing.
 *
 * A code literal is a string literal shaped like one (`<area>:<word>[:<word>…]` with a known
 * area). A test "names" a code when a test file contains it literally.
 */
const ROOT = join(__dirname, '..');
const AREAS = ['deploy', 'deployments', 'apps', 'status', 'request', 'receiver', 'mw', 'users', 'tokens', 'auth', 'notifications'];
// Quoted as a string: a code in backquotes is a comment's or a description's mention.
const CODE = new RegExp(`(['"])((?:${AREAS.join('|')})(?::[a-z0-9_]+)+)\\1`, 'g');

/**
 * Codes no test produces on purpose, each with why. Keep this list short: a code here is a
 * promise nobody checks. (Reported in docs/reliability.md#every-error-code-asserted.)
 */
const NOT_PRODUCED: Record<string, string> = {
  // Defence in depth behind the DTOs and parsers: the API answers an earlier code first.
  'users:bad_username': 'CreateUserDto refuses the same names first (request:invalid)',
  'request:unsupported_media_type': "the gateway parses every content type ('*' parser); other bodies fail their DTO (request:invalid)",
  // Bugs by definition: a failure with no step code, an unexpected receiver exception.
  'deploy:internal': 'a workflow failure outside every step: no input produces it',
  'receiver:internal': "the reference receiver's answer to an unexpected exception: no input produces it",
  // Never reaches the API or the status log: commit statuses are a courtesy whose failure is
  // recorded only in the workflow history.
  'deploy:github:commit_status': 'only in workflow history (a courtesy call that never fails a deployment)',
  'deploy:github:deployment_status': 'only in workflow history (GitHub deployments are a courtesy too)',
  // A notification delivery's attempts: their failures are the delivery's `lastError` and status,
  // asserted through GET …/deliveries; the types are seen only in the delivery workflow's history.
  'notifications:rejected': "only in a delivery workflow's history (the answer status is the delivery's statusCode)",
  'notifications:unreachable': "only in a delivery workflow's history (lastError)",
  'notifications:refused': "only in a delivery workflow's history (the outbound guard refused the URL at an attempt)",
  'notifications:removed': "only in a delivery workflow's history (its subscription was removed)",
  // A 30 min start-to-close per attempt, five attempts: beyond a test run. The mapping is
  // checked by replaying histories only for the old code path.
  'deploy:tar:timeout': 'an inspection over 30 minutes per attempt',
};

function gitFiles(...patterns: string[]): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...patterns], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((file) => file.endsWith('.ts'));
}

const isTest = (file: string) => file.startsWith('test/') || /\.(spec|e2e-spec|chaos-spec)\.ts$/.test(file);

/** Each catalogue code, with where it occurs. */
function definedCodes(): Map<string, string[]> {
  return new Map(ERROR_ENTRIES.map((entry) => [entry.code, [...entry.where]]));
}

/**
 * Source files that may write codes themselves: the catalogue, and the status page's browser
 * script (it cannot import the catalogue; the codes it compares are checked against it below).
 */
const READS_CODES = /^(libs\/errors\/|apps\/gateway\/status-page\/)/;

function codeLiteralsOutsideCatalogue(): string[] {
  const found: string[] = [];
  for (const file of gitFiles('apps', 'libs', 'workflows').filter((f) => !isTest(f) && !READS_CODES.test(f))) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    lines.forEach((line, index) => {
      for (const match of line.matchAll(CODE)) found.push(`${file}:${index + 1}: ${match[2]}`);
    });
  }
  return found;
}

describe('every error code is named by a test', () => {
  const codes = definedCodes();
  const tests = gitFiles().filter((file) => isTest(file) && file !== 'test/error-codes.spec.ts');
  const corpus = tests.map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');

  it('finds the codes (the catalogue is read)', () => {
    expect(codes.size).toBeGreaterThan(50);
    for (const known of ['deploy:github:download_tarball', 'deploy:tar:unsafe_path', 'apps:not_found', 'mw:auth:unauthorized'])
      expect([...codes.keys()]).toContain(known);
    for (const reason of TAR_REJECT_REASONS) expect([...codes.keys()]).toContain(`deploy:tar:${reason}`);
  });

  it('finds no code literal outside the catalogue (throw sites name catalogue entries)', () => {
    expect(codeLiteralsOutsideCatalogue()).toEqual([]); // use Errors.<name> from libs/errors instead
  });

  it("finds only catalogue codes in the status page's browser script", () => {
    const dir = join(ROOT, 'apps/gateway/status-page/public');
    const scripts = readdirSync(dir).filter((file) => file.endsWith('.js'));
    const named = scripts.flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(CODE)].map((match) => match[2]));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((code) => !codes.has(code))).toEqual([]);
  });

  it('has a test naming each code outside the allow-list', () => {
    const untested = [...codes.keys()].filter((code) => !(code in NOT_PRODUCED) && !corpus.includes(code)).sort();
    const described = untested.map((code) => `${code} (occurs in: ${codes.get(code)!.join(', ')})`);
    expect(described).toEqual([]);
  });

  it('keeps the allow-list to codes that exist and are still untested', () => {
    const stale = Object.keys(NOT_PRODUCED).filter((code) => !codes.has(code) || corpus.includes(code));
    expect(stale).toEqual([]); // remove these from NOT_PRODUCED: gone from the source, or a test names them now
  });
});

/** Codes the documentation names as gone (docs/operations.md#upgrading): never back in the catalogue. */
const RETIRED = [
  'apps:repository_taken',
  'auth:github:not_installation_owner',
  'deploy:nodejitsu:upload_tarball',
  'deploy:nodejitsu:start_app',
];

describe('the error catalogue', () => {
  /** The README and the user's documentation it links to (docs/reliability.md quotes other things shaped like codes). */
  const readme = [
    'README.md',
    'docs/api.md',
    'docs/configuration.md',
    'docs/contract.md',
    'docs/errors.md',
    'docs/guides.md',
    'docs/operations.md',
  ]
    .map((file) => readFileSync(join(ROOT, file), 'utf8'))
    .join('\n');
  /** The error table of docs/errors.md: `| \`code\` | status | where | meaning |` rows. */
  const errors = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const table = new Map(
    [...errors.matchAll(/^\| `([^`]+)` \| (\d{3}|–) \| ([a-z, ]+) \|/gm)].map((row) => [row[1], { status: row[2], where: row[3] }]),
  );

  it('has each code once, with a status exactly where an HTTP API answers it', () => {
    const codes = ERROR_ENTRIES.map((entry) => entry.code);
    expect(codes.filter((code, index) => codes.indexOf(code) !== index)).toEqual([]);
    const inconsistent = ERROR_ENTRIES.filter((entry) => {
      const where: readonly string[] = entry.where;
      const answered = where.includes('api') || where.includes('receiver');
      return answered !== ('status' in entry && typeof entry.status === 'number');
    });
    expect(inconsistent.map((entry) => entry.code)).toEqual([]);
  });

  it('is the error table of docs/errors.md: every code with its status and where it occurs', () => {
    const expected = ERROR_ENTRIES.map((entry) => `${entry.code} ${'status' in entry ? entry.status : '–'} ${entry.where.join(', ')}`);
    const documented = ERROR_ENTRIES.map(
      (entry) => `${entry.code} ${table.get(entry.code)?.status ?? 'missing'} ${table.get(entry.code)?.where ?? 'missing'}`,
    );
    expect(documented).toEqual(expected);
    expect(table.size).toBe(ERROR_ENTRIES.length);
  });

  it('knows every code the README and docs name (but those they name as retired)', () => {
    const known = new Set<string>(ERROR_ENTRIES.map((entry) => entry.code));
    const named = [...readme.matchAll(new RegExp(`\`((?:${AREAS.join('|')})(?::[a-z0-9_]+)+)\``, 'g'))].map((match) => match[1]);
    expect([...new Set(named.filter((code) => !known.has(code) && !RETIRED.includes(code)))]).toEqual([]);
    expect(RETIRED.filter((code) => known.has(code))).toEqual([]);
  });
});
