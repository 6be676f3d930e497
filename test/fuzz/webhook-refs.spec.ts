import { isBranchName, isRefName, isRepositoryName, recogniseWebhook, Webhook } from '../../libs/deployments/webhooks';
import { ApiError } from '../../libs/errors';
import { githubHeaders, githubPush, travisBuild } from '../support/payloads';

/** Repository names and git refs in webhook payloads: what git and GitHub would take, nothing that climbs a path. */
const recognise = (payload: object, headers: Record<string, string> = githubHeaders()): Webhook => recogniseWebhook(headers, payload, JSON.stringify(payload));
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
    for (const name of ['octo-org', 'hello_world', 'my.app', '.github', 'a..b', 'x'.repeat(100)]) expect([name, isRepositoryName(name)]).toEqual([name, true]);
    for (const name of ['.', '..', '', 'a/b', '../x', 'a b', 'x'.repeat(101)]) expect([name, isRepositoryName(name)]).toEqual([name, false]);
  });

  it('takes branch names git takes and refuses the others (git check-ref-format --branch)', () => {
    for (const branch of ['main', 'feature/x', 'release-1.0', 'v1.0', 'a.b', 'ünïcode', 'fix@1', 'a-']) expect([branch, isBranchName(branch)]).toEqual([branch, true]);
    for (const branch of ['../../x', 'main..lock', 'a..b', 'x.lock', 'a/x.lock/b', 'a/.hidden', '.hidden', '/lead', 'trail/', 'a//b', '-x', 'a@{1}', '@', 'a.',
      'a b', 'a\tb', 'a\u0001b', 'a\u007fb', 'a~1', 'a^2', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', '', 'b'.repeat(256)]) {
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
      expect(refusal(payload)).toEqual([400, 'deploy:provider:not_supported', expect.stringMatching(/^This is not a GitHub or Travis payload we handle: .+\.$/)]);
    }
    const push = recognise({ ...base, ref: 'refs/heads/feature/x.y' });
    expect(push).toMatchObject({ kind: 'github_push', branch: 'feature/x.y', repository: { fullName: 'octo-org/hello-world' } });
    expect(recognise({ ...base, ref: 'refs/tags/v1.0' })).toMatchObject({ kind: 'github_push', branch: undefined });
  });

  it('refuses Travis builds of an unusable repository or branch the same way', () => {
    const headers = { 'travis-repo-slug': 'octo-org/hello-world' };
    expect(refusal(travisBuild({ sha: 'b'.repeat(40), repo: '..' }), headers)).toEqual([400, 'deploy:provider:not_supported', expect.any(String)]);
    expect(refusal(travisBuild({ sha: 'b'.repeat(40), branch: '../../x' }), headers)).toEqual([400, 'deploy:provider:not_supported', expect.stringContaining('branch')]);
    expect(recognise(travisBuild({ sha: 'b'.repeat(40), branch: 'release/2.0' }), headers)).toMatchObject({ kind: 'travis', branch: 'release/2.0' });
  });
});
