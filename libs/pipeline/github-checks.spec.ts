import { judgeChecks } from './github-checks';
import type { CommitCi } from '../github';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const rules = { queuedGraceMs: 10 * 60_000, waitingSince: NOW, now: NOW };
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();
const ci = (partial: Partial<CommitCi>): CommitCi => ({ suites: [], runs: [], statuses: [], ...partial });

describe('judgeChecks', () => {
  it('passes when every suite, run and status context completed green (success, neutral, skipped)', () => {
    const verdict = judgeChecks(
      ci({
        suites: [{ id: 1, status: 'completed', conclusion: 'success', appName: 'GitHub Actions', createdAt: ago(1) }],
        runs: [
          { name: 'test', status: 'completed', conclusion: 'success', suiteId: 1 },
          { name: 'docs', status: 'completed', conclusion: 'skipped', suiteId: 1 },
          { name: 'lint', status: 'completed', conclusion: 'neutral', suiteId: 1 },
        ],
        statuses: [{ context: 'ci/circleci', state: 'success' }],
      }),
      rules,
    );
    expect(verdict).toEqual({ state: 'success', failing: [], waiting: [] });
  });

  it('fails naming each failing run and status context with its URL, even while others still run', () => {
    const verdict = judgeChecks(
      ci({
        suites: [{ id: 1, status: 'in_progress', conclusion: null, createdAt: ago(1) }],
        runs: [
          { name: 'test', status: 'completed', conclusion: 'failure', url: 'https://gh/run/1', suiteId: 1 },
          { name: 'build', status: 'in_progress', conclusion: null, suiteId: 1 },
        ],
        statuses: [{ context: 'ci/jenkins', state: 'error', url: 'https://jenkins/1' }],
      }),
      rules,
    );
    expect(verdict.state).toBe('failure');
    expect(verdict.failing).toEqual([
      { name: 'test', conclusion: 'failure', url: 'https://gh/run/1' },
      { name: 'ci/jenkins', conclusion: 'error', url: 'https://jenkins/1' },
    ]);
  });

  it("waits for runs and contexts not completed, and never for its own commit status or the App's own suite", () => {
    const verdict = judgeChecks(
      ci({
        suites: [
          { id: 1, status: 'in_progress', conclusion: null, createdAt: ago(1) },
          { id: 2, status: 'queued', conclusion: null, appId: 99, createdAt: ago(1) },
        ],
        runs: [{ name: 'test', status: 'in_progress', conclusion: null, suiteId: 1 }],
        statuses: [
          { context: 'deploy-webhooks', state: 'pending' },
          { context: 'ci/circleci', state: 'pending' },
        ],
      }),
      { ...rules, ownAppId: 99 },
    );
    expect(verdict).toEqual({ state: 'pending', failing: [], waiting: ['test', 'ci/circleci'] });
  });

  it('lets an empty suite still queued past the grace through, but not one inside it', () => {
    const old = ci({ suites: [{ id: 1, status: 'queued', conclusion: null, appName: 'Some App', createdAt: ago(11) }] });
    expect(judgeChecks(old, rules).state).toBe('success');
    const fresh = ci({ suites: [{ id: 1, status: 'queued', conclusion: null, appName: 'Some App', createdAt: ago(2) }] });
    expect(judgeChecks(fresh, rules)).toMatchObject({ state: 'pending', waiting: ['Some App'] });
  });

  it('with nothing reported yet waits the grace for CI to appear, then passes', () => {
    expect(judgeChecks(ci({}), rules)).toMatchObject({ state: 'pending' });
    expect(judgeChecks(ci({}), { ...rules, waitingSince: NOW - 11 * 60_000 }).state).toBe('success');
  });

  it('with requiredChecks counts only those names and waits until each has appeared', () => {
    const verdict = judgeChecks(
      ci({
        runs: [
          { name: 'test', status: 'completed', conclusion: 'success', suiteId: 1 },
          { name: 'flaky', status: 'completed', conclusion: 'failure', suiteId: 1 },
        ],
      }),
      { ...rules, requiredChecks: ['test', 'ci/circleci'] },
    );
    expect(verdict).toEqual({ state: 'pending', failing: [], waiting: ['ci/circleci'] });
  });
});
