import { randomBytes } from 'node:crypto';

export { githubPush } from '../../tools/github-standin/github-standin';

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
