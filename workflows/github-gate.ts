import { ApplicationFailure, condition, isCancellation } from '@temporalio/workflow';
import { Errors } from '../libs/errors/catalogue';
import type { CiGates, DeploymentRef, GithubDeploymentStatusState } from './activities';
import { minutes } from './durations';
import { bestEffort } from './failures';
import { githubDeployments, quick } from './proxies';

/**
 * Waits until the commit's GitHub checks pass (docs/contract.md#github-checks): reads them, then sleeps until a
 * check_suite/check_run/status event wakes it (`wake.count` moves) or the poll interval passes,
 * a durable timer that covers lost deliveries. Throws `deploy:ci:failed` naming the failing
 * checks with their URLs, `deploy:ci:timeout` after `timeoutMs`.
 */
export async function waitForGithubChecks(options: {
  ref: DeploymentRef;
  app?: string;
  gate: CiGates['github'];
  timeoutMs: number;
  pollMs: number;
  wake: { count: number };
  report: (message: string) => Promise<void>;
}): Promise<string> {
  const { ref, gate, timeoutMs, pollMs, wake } = options;
  const waitingSince = Date.now();
  const deadline = waitingSince + timeoutMs;
  let shown = '';
  let readFailures = 0;
  for (;;) {
    const seen = wake.count;
    try {
      const verdict = await quick.githubChecks({ ...ref, app: options.app, requiredChecks: gate.requiredChecks, waitingSince });
      readFailures = 0;
      if (verdict.state === 'success') return 'GitHub checks passed.';
      if (verdict.state === 'failure') {
        const named = verdict.failing.map((f) => `${f.name} (${f.conclusion}${f.url ? `, ${f.url}` : ''})`).join(', ');
        throw ApplicationFailure.nonRetryable(`GitHub checks failed: ${named}; not deploying.`, Errors.deployCiFailed.code);
      }
      const waiting = `Waiting for GitHub checks: ${verdict.waiting.join(', ')}.`;
      if (waiting !== shown) await options.report(waiting);
      shown = waiting;
    } catch (error) {
      if (isCancellation(error) || (error instanceof ApplicationFailure && error.type === Errors.deployCiFailed.code)) throw error;
      // GitHub did not answer (after the activity's retries): the next poll tries again, up to the deadline.
      if (readFailures++ === 0) await options.report(`Reading the GitHub checks failed (${(error as Error).message}); trying again.`);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw ApplicationFailure.nonRetryable(
        `GitHub checks did not complete within ${minutes(timeoutMs)}${shown ? ` (${shown.replace(/^Waiting for GitHub checks: /, 'still waiting for ').replace(/\.$/, '')})` : ''}.`,
        Errors.deployCiTimeout.code,
      );
    }
    await condition(() => wake.count !== seen, Math.min(pollMs, left));
  }
}

/**
 * The deployment's GitHub deployment: created once the app is known, then a status per stage. A
 * courtesy like commit statuses: its failures never fail the deployment, but a cancel of the
 * pipeline still stops it.
 */
export class GithubDeploymentTracker {
  private id?: number;
  private created = false;

  constructor(private readonly ref: DeploymentRef) {}

  async create(app: string): Promise<void> {
    if (this.created) return;
    this.created = true;
    await bestEffort(async () => {
      this.id = (await githubDeployments.githubDeployment({ ...this.ref, app }))?.id;
    }, 'passed');
  }

  async status(app: string | undefined, state: GithubDeploymentStatusState, description: string): Promise<void> {
    const id = this.id;
    if (id === undefined || !app) return;
    await bestEffort(
      () => githubDeployments.githubDeploymentStatus({ ...this.ref, app, githubDeployment: id, state, description }),
      'passed',
    );
  }
}

/** Which GitHub deployment status a deployment's end stands for. */
export function endStatus(outcome: string, code: string | undefined): GithubDeploymentStatusState {
  if (outcome === 'succeeded') return 'success';
  if (code === Errors.deployCanceled.code || code === Errors.deploySuperseded.code || code === Errors.deployStale.code) return 'inactive';
  // `error`: the deployment could not be tried (GitHub unreadable, no package.json, a bug); `failure`: it was, and failed.
  return /^deploy:(github:|app:|internal)/.test(code ?? Errors.deployInternal.code) ? 'error' : 'failure';
}
