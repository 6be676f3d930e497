import fc from 'fast-check';
import { isBranchName, isRefName, isRepositoryName, readPayload, recogniseWebhook, Webhook } from '../../libs/intake/webhooks';
import { ApiError } from '../../libs/errors';
import { canonicalRepository, repositorySpellingsPattern } from '../../libs/github/names';
import { githubHeaders, githubPush, travisBuild } from '../support/payloads';

/** Repository names and git refs in webhook payloads: what git and GitHub would take, nothing that climbs a path. */
const recognise = (payload: object, headers: Record<string, string> = githubHeaders()): Webhook =>
  recogniseWebhook(headers, payload, JSON.stringify(payload));
const refusal = (payload: object, headers?: Record<string, string>) => {
  try {
    recognise(payload, headers);
  } catch (error) {
    if (error instanceof ApiError) return [error.status, error.code, error.message];
    throw error;
  }
  return 'accepted';
};

describe('webhook repository names and refs', () => {
  it('takes repository owners and names GitHub allows, never . or ..', () => {
    for (const name of ['octo-org', 'hello_world', 'my.app', '.github', 'a..b', 'x'.repeat(100)])
      expect([name, isRepositoryName(name)]).toEqual([name, true]);
    for (const name of ['.', '..', '', 'a/b', '../x', 'a b', 'x'.repeat(101)])
      expect([name, isRepositoryName(name)]).toEqual([name, false]);
  });

  it('takes branch names git takes and refuses the others (git check-ref-format --branch)', () => {
    for (const branch of ['main', 'feature/x', 'release-1.0', 'v1.0', 'a.b', 'ünïcode', 'fix@1', 'a-'])
      expect([branch, isBranchName(branch)]).toEqual([branch, true]);
    for (const branch of [
      '../../x',
      'main..lock',
      'a..b',
      'x.lock',
      'a/x.lock/b',
      'a/.hidden',
      '.hidden',
      '/lead',
      'trail/',
      'a//b',
      '-x',
      'a@{1}',
      '@',
      'a.',
      'a b',
      'a\tb',
      'a\u0001b',
      'a\u007fb',
      'a~1',
      'a^2',
      'a:b',
      'a?',
      'a*',
      'a[b',
      'a\\b',
      '',
      'b'.repeat(256),
    ]) {
      expect([branch, isBranchName(branch)]).toEqual([branch, false]);
    }
    expect(isRefName('refs/tags/v1.0.0')).toBe(true);
    expect(isRefName('refs/tags/../../x')).toBe(false);
  });

  it('refuses GitHub pushes with an unusable repository or ref as deploy:provider:not_supported', () => {
    const base = githubPush({ sha: 'a'.repeat(40) });
    const withRepository = (repository: object) => ({ ...base, repository: { ...base.repository, ...repository } });
    for (const payload of [
      withRepository({ name: '..', full_name: 'octo-org/..' }),
      withRepository({ owner: { login: '.', name: '.' }, full_name: './hello-world' }),
      withRepository({ full_name: '../../x' }),
      withRepository({ default_branch: '../../x' }),
      { ...base, ref: 'refs/heads/../../x' },
      { ...base, ref: 'refs/heads/main..lock' },
      { ...base, ref: 'refs/heads/main.lock' },
      { ...base, ref: 'refs/heads/-rf' },
      { ...base, ref: 'refs/heads/a@{1}' },
      { ...base, ref: 'refs/heads/a\u0000b' },
      { ...base, ref: 'refs/heads/trail/' },
      { ...base, ref: 'refs/heads//x' },
      { ...base, ref: 'refs/tags/../../x' },
    ]) {
      expect(refusal(payload)).toEqual([
        400,
        'deploy:provider:not_supported',
        expect.stringMatching(/^This is not a GitHub or Travis payload we handle: .+\.$/),
      ]);
    }
    const push = recognise({ ...base, ref: 'refs/heads/feature/x.y' });
    expect(push).toMatchObject({ kind: 'github_push', branch: 'feature/x.y', repository: { fullName: 'octo-org/hello-world' } });
    expect(recognise({ ...base, ref: 'refs/tags/v1.0' })).toMatchObject({ kind: 'github_push', branch: undefined });
  });

  it('refuses Travis builds of an unusable repository or branch the same way', () => {
    const headers = { 'travis-repo-slug': 'octo-org/hello-world' };
    expect(refusal(travisBuild({ sha: 'b'.repeat(40), repo: '..' }), headers)).toEqual([
      400,
      'deploy:provider:not_supported',
      expect.any(String),
    ]);
    expect(refusal(travisBuild({ sha: 'b'.repeat(40), branch: '../../x' }), headers)).toEqual([
      400,
      'deploy:provider:not_supported',
      expect.stringContaining('branch'),
    ]);
    expect(recognise(travisBuild({ sha: 'b'.repeat(40), branch: 'release/2.0' }), headers)).toMatchObject({
      kind: 'travis',
      branch: 'release/2.0',
    });
  });

  it("compares repositories in GitHub's canonical form: any case, a trailing .git or . ignored", () => {
    expect(canonicalRepository('Octo-Org/Hello.World.git')).toBe('octo-org/hello.world');
    for (const spelling of [
      'octo-org/hello',
      'Octo-Org/HELLO',
      'octo-org/hello.git',
      'octo-org/hello.',
      'octo-org/Hello.GIT.',
      'octo-org/hello..git',
    ]) {
      expect([spelling, canonicalRepository(spelling)]).toEqual([spelling, 'octo-org/hello']);
    }
    for (const other of ['octo-org/hello-git', 'octo-org/hellogit', 'octo-org/hello.gitx', 'octo/hello', 'octo-org/.github']) {
      expect([other, canonicalRepository(other) === 'octo-org/hello']).toEqual([other, false]);
    }
    // every spelling of a name, and nothing else, matches the lookup pattern of any of them
    const part = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,20}[A-Za-z0-9_-]$/);
    const suffix = fc.array(fc.constantFrom('.git', '.', '.GIT', '.Git'), { maxLength: 3 }).map((parts) => parts.join(''));
    const flipCase = (text: string, flips: boolean[]) =>
      [...text].map((char, i) => (flips[i % flips.length] ? char.toUpperCase() : char.toLowerCase())).join('');
    fc.assert(
      fc.property(part, part, suffix, fc.array(fc.boolean(), { minLength: 1 }), part, (owner, name, tail, flips, other) => {
        const spelling = flipCase(`${owner}/${name}${tail}`, flips);
        const pattern = new RegExp(`^${repositorySpellingsPattern(spelling)}$`);
        expect(canonicalRepository(spelling)).toBe(canonicalRepository(`${owner}/${name}`));
        expect(pattern.test(`${owner}/${name}${tail}`.toLowerCase())).toBe(true);
        if (canonicalRepository(`${owner}/${other}`) !== canonicalRepository(`${owner}/${name}`))
          expect(pattern.test(`${owner}/${other}`.toLowerCase())).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('parses a repository named with a trailing .git or . as GitHub does, and refuses names that are only suffixes', () => {
    const base = githubPush({ sha: 'a'.repeat(40) });
    const named = (name: string, fullName = `octo-org/${name}`) => ({
      ...base,
      repository: { ...base.repository, name, full_name: fullName },
    });
    expect(recognise(named('Hello-World.git'))).toMatchObject({ repository: { name: 'Hello-World', fullName: 'octo-org/Hello-World' } });
    expect(recognise(named('hello-world.', 'Octo-Org/hello-world'))).toMatchObject({ repository: { fullName: 'octo-org/hello-world' } });
    expect(
      recognise(travisBuild({ sha: 'b'.repeat(40), repo: 'hello-world.git' }), { 'travis-repo-slug': 'octo-org/hello-world' }),
    ).toMatchObject({ repository: { fullName: 'octo-org/hello-world' } });
    for (const name of ['.git', '..git', '.git.'])
      expect([name, refusal(named(name))]).toEqual([name, [400, 'deploy:provider:not_supported', expect.any(String)]]);
    expect(refusal(named('hello', 'octo-org/other.git'))).toEqual([
      400,
      'deploy:provider:not_supported',
      expect.stringContaining('full_name'),
    ]);
  });

  it('reads a form-typed JSON body as the payload and a payload= form as before', () => {
    const push = JSON.stringify(githubPush({ sha: 'c'.repeat(40) }));
    const form = 'application/x-www-form-urlencoded';
    expect(readPayload(form, Buffer.from(push)).text).toBe(push);
    expect(readPayload(form, Buffer.from(`payload=${encodeURIComponent(push)}`)).text).toBe(push);
    // `+` in a raw JSON body is a plus, not a form-encoded space
    expect((readPayload(form, Buffer.from('{"message":"a+b"}')).json as { message: string }).message).toBe('a+b');
    for (const body of ['{"after":', '{}&payload=', '[1,2]']) {
      expect(() => readPayload(form, Buffer.from(body))).toThrow(expect.objectContaining({ code: 'deploy:no_payload' }));
    }
  });
});
