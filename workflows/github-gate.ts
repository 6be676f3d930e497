import { ApplicationFailure, condition, isCancellation, proxyLocalActivities } from '@temporalio/workflow';
import { Errors } from '../libs/errors/catalogue';
import type { CiGates, DeploymentRef, GithubActivitiesApi, GithubDeploymentStatusState } from './activities';

/**
 * Patch ids (SPEC 6.7): deployments started before these changes replay the code they started with.
 * `github-checks`: the CI gate asks which gates apply (Travis, GitHub checks, both) and waits for GitHub checks (SPEC 7).
 * `github-deployments`: each deployment is a GitHub deployment with statuses (SPEC 8).
 */
export const GITHUB_CHECKS_PATCH = 'github-checks';
export const GITHUB_DEPLOYMENTS_PATCH = 'github-deployments';

// Small GitHub reads and writes: local activities, as the other GitHub calls.
const github = proxyLocalActivities<GithubActivitiesApi>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

// GitHub deployments are a courtesy: one quick retry, never a long stall of the deployment.
const courtesyCalls = proxyLocalActivities<GithubActivitiesApi>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 2 },
});

export const ciGates = (ref: DeploymentRef & { app?: string }) => github.ciGates(ref);

/**
 * Waits until the commit's GitHub checks pass (SPEC 7): reads them, then sleeps until a
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
      const verdict = await github.githubChecks({ ...ref, app: options.app, requiredChecks: gate.requiredChecks, waitingSince });
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
 * The deployment's GitHub deployment (SPEC 8): created once the app is known, then a status per
 * stage. A courtesy like commit statuses: its failures never fail the deployment.
 */
export class GithubDeploymentTracker {
  private id?: number;
  private created = false;

  constructor(private readonly ref: DeploymentRef) {}

  async create(app: string): Promise<void> {
    if (this.created) return;
    this.created = true;
    await courtesy(async () => {
      this.id = (await courtesyCalls.githubDeployment({ ...this.ref, app }))?.id;
    });
  }

  async status(app: string | undefined, state: GithubDeploymentStatusState, description: string): Promise<void> {
    const id = this.id;
    if (id === undefined || !app) return;
    await courtesy(() => courtesyCalls.githubDeploymentStatus({ ...this.ref, app, githubDeployment: id, state, description }));
  }
}

/** Which GitHub deployment status a deployment's end stands for. */
export function endStatus(outcome: string, code: string | undefined): GithubDeploymentStatusState {
  if (outcome === 'succeeded') return 'success';
  if (code === Errors.deployCanceled.code || code === Errors.deploySuperseded.code || code === Errors.deployStale.code) return 'inactive';
  // `error`: the deployment could not be tried (GitHub unreadable, no package.json, a bug); `failure`: it was, and failed.
  return /^deploy:(github:|app:|internal)/.test(code ?? Errors.deployInternal.code) ? 'error' : 'failure';
}

async function courtesy(call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (isCancellation(error)) throw error;
    // recorded in the activity's failure in history; a GitHub deployment never fails a deployment
  }
}

function minutes(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
