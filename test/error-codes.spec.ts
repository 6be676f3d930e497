import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TAR_REJECT_REASONS } from '../libs/tarballs/safety';

/**
 * Issue 16, "every error code asserted": every error code the source defines (the API's
 * ApiError codes, the activities' failure() codes, the workflow's codes) is named by at least
 * one test. Pure: reads the repository's files, starts nothing.
 *
 * A code is any string literal in apps/, libs/ and workflows/ shaped like one
 * (`<area>:<word>[:<word>…]` with a known area), `deploy:tar:${reason}` expanded over
 * TAR_REJECT_REASONS. A test "names" a code when a test file contains it literally.
 */
const ROOT = join(__dirname, '..');
const AREAS = ['deploy', 'deployments', 'apps', 'status', 'request', 'receiver', 'mw', 'users', 'tokens', 'auth', 'notifications'];
const CODE = new RegExp(`(['"\`])((?:${AREAS.join('|')})(?::[a-z0-9_]+)+)\\1`, 'g');

/**
 * Codes no test produces on purpose, each with why. Keep this list short: a code here is a
 * promise nobody checks. (Reported in docs/reliability.md, "Every error code asserted".)
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
  'notifications:rejected': 'only in a delivery workflow\'s history (the answer status is the delivery\'s statusCode)',
  'notifications:unreachable': 'only in a delivery workflow\'s history (lastError)',
  'notifications:refused': 'only in a delivery workflow\'s history (the outbound guard refused the URL at an attempt)',
  'notifications:removed': 'only in a delivery workflow\'s history (its subscription was removed)',
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

function definedCodes(): Map<string, string[]> {
  const codes = new Map<string, string[]>();
  const add = (code: string, file: string) => codes.set(code, [...(codes.get(code) ?? []), file]);
  for (const file of gitFiles('apps', 'libs', 'workflows').filter((f) => !isTest(f))) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const match of text.matchAll(CODE)) add(match[2], file);
    if (/deploy:tar:\$\{/.test(text)) for (const reason of TAR_REJECT_REASONS) add(`deploy:tar:${reason}`, file);
  }
  return codes;
}

describe('every error code is named by a test', () => {
  const codes = definedCodes();
  const tests = gitFiles().filter((file) => isTest(file) && file !== 'test/error-codes.spec.ts');
  const corpus = tests.map((file) => readFileSync(join(ROOT, file), 'utf8')).join('\n');

  it('finds the codes (the scan itself works)', () => {
    expect(codes.size).toBeGreaterThan(50);
    for (const known of ['deploy:github:download_tarball', 'deploy:tar:unsafe_path', 'apps:not_found', 'mw:auth:unauthorized']) expect([...codes.keys()]).toContain(known);
  });

  it('has a test naming each code outside the allow-list', () => {
    const untested = [...codes.keys()].filter((code) => !(code in NOT_PRODUCED) && !corpus.includes(code)).sort();
    const described = untested.map((code) => `${code} (defined in ${[...new Set(codes.get(code))].join(', ')})`);
    expect(described).toEqual([]);
  });

  it('keeps the allow-list to codes that exist and are still untested', () => {
    const stale = Object.keys(NOT_PRODUCED).filter((code) => !codes.has(code) || corpus.includes(code));
    expect(stale).toEqual([]); // remove these from NOT_PRODUCED: gone from the source, or a test names them now
  });
});
