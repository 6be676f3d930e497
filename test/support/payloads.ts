import { randomBytes } from 'node:crypto';

/** GitHub `push` payloads shaped like GitHub's published examples (trimmed to the fields used). */
export function githubPush(options: { owner?: string; repo?: string; sha?: string; ref?: string; defaultBranch?: string; deleted?: boolean; private?: boolean } = {}) {
  const owner = options.owner ?? 'octo-org';
  const repo = options.repo ?? 'hello-world';
  const sha = options.sha ?? randomBytes(20).toString('hex');
  return {
    ref: options.ref ?? 'refs/heads/main',
    before: '0000000000000000000000000000000000000000',
    after: sha,
    created: false,
    deleted: options.deleted ?? false,
    forced: false,
    compare: `https://github.com/${owner}/${repo}/compare/abc...def`,
    commits: [{ id: sha, message: 'Update README.md', timestamp: '2026-11-22T06:00:00Z', author: { name: 'Octo Cat', email: 'octocat@github.com' } }],
    head_commit: { id: sha, message: 'Update README.md', timestamp: '2026-11-22T06:00:00Z' },
    repository: {
      id: 186853002,
      name: repo,
      full_name: `${owner}/${repo}`,
      private: options.private ?? false,
      owner: { name: owner, login: owner, id: 21031067, type: 'Organization' },
      html_url: `https://github.com/${owner}/${repo}`,
      default_branch: options.defaultBranch ?? 'main',
      master_branch: options.defaultBranch ?? 'main',
    },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 1, type: 'User' },
  };
}

export function githubHeaders(event = 'push', delivery: string = randomBytes(16).toString('hex')): Record<string, string> {
  return { 'x-github-event': event, 'x-github-delivery': delivery, 'user-agent': 'GitHub-Hookshot/abc123' };
}

/** A Travis CI webhook `payload` (the build JSON), as Travis documents it. */
export function travisBuild(options: { owner?: string; repo?: string; sha: string; statusMessage?: string; branch?: string }) {
  const passed = ['Passed', 'Fixed'].includes(options.statusMessage ?? 'Passed');
  return {
    id: 1,
    number: '1',
    type: 'push',
    state: passed ? 'passed' : 'failed',
    status: passed ? 0 : 1,
    result: passed ? 0 : 1,
    status_message: options.statusMessage ?? 'Passed',
    result_message: options.statusMessage ?? 'Passed',
    branch: options.branch ?? 'main',
    commit: options.sha,
    message: 'Update README.md',
    build_url: 'https://travis-ci.org/octo-org/hello-world/builds/1',
    repository: { id: 1, name: options.repo ?? 'hello-world', owner_name: options.owner ?? 'octo-org', url: null },
  };
}
