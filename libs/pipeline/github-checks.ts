import type { CommitCi } from '../github';
import type { CiVerdict } from '../../workflows/activities';

/** Conclusions that let a deployment through (docs/contract.md#github-checks). */
const GREEN = ['success', 'neutral', 'skipped'];
/** This service's own commit status context: the gate never waits for itself. */
export const OWN_STATUS_CONTEXT = 'deploy-webhooks';

export interface CheckRules {
  /** Only these check run names / status contexts count (and must appear); absent or empty: every one. */
  requiredChecks?: string[];
  /** The GitHub App's id: its own check suites are not waited for. */
  ownAppId?: number;
  /** A suite still `queued` this long after its creation does not hold the deployment (GitHub's empty suites). */
  queuedGraceMs: number;
  /** When the gate began waiting: with nothing reported yet, it waits this grace for CI to show up. */
  waitingSince: number;
  now: number;
}

/**
 * The GitHub checks gate's verdict on a commit (docs/contract.md#github-checks): `failure` as soon as one counted check
 * run, suite or status context ended other than success/neutral/skipped (naming each with its
 * URL), `pending` while one has not completed, else `success`. Pure, so it is unit-tested.
 */
export function judgeChecks(ci: CommitCi, rules: CheckRules): CiVerdict {
  const required = rules.requiredChecks?.length ? new Set(rules.requiredChecks) : undefined;
  const failing: CiVerdict['failing'] = [];
  const waiting = new Set<string>();
  const suites = ci.suites.filter((suite) => rules.ownAppId === undefined || suite.appId !== rules.ownAppId);
  const counted = new Set(suites.map((suite) => suite.id));
  const runs = ci.runs.filter((run) => (required ? required.has(run.name) : run.suiteId === undefined || counted.has(run.suiteId)));
  const statuses = ci.statuses.filter((status) => status.context !== OWN_STATUS_CONTEXT && (!required || required.has(status.context)));

  for (const run of runs) {
    if (run.status !== 'completed') waiting.add(run.name);
    else if (!GREEN.includes(run.conclusion ?? '')) failing.push({ name: run.name, conclusion: run.conclusion ?? 'unknown', url: run.url });
  }
  for (const status of statuses) {
    if (status.state === 'pending') waiting.add(status.context);
    else if (status.state !== 'success') failing.push({ name: status.context, conclusion: status.state, url: status.url });
  }
  if (required) {
    const seen = new Set([...runs.map((r) => r.name), ...statuses.map((s) => s.context)]);
    for (const name of required) if (!seen.has(name)) waiting.add(name);
  } else {
    for (const suite of suites) {
      const name = suite.appName ?? `check suite ${suite.id}`;
      const named = runs.some((run) => run.suiteId === suite.id);
      if (suite.status === 'completed') {
        // A suite's failure is named by its runs when it has any; a suite without runs names itself.
        if (!GREEN.includes(suite.conclusion ?? '') && !named) failing.push({ name, conclusion: suite.conclusion ?? 'unknown' });
        continue;
      }
      const age = suite.createdAt ? rules.now - Date.parse(suite.createdAt) : 0;
      if (suite.status === 'queued' && !named && age >= rules.queuedGraceMs) continue; // an empty suite that never ran
      if (!named || runs.every((run) => run.suiteId !== suite.id || run.status === 'completed')) waiting.add(name);
    }
  }
  if (failing.length > 0) return { state: 'failure', failing, waiting: [...waiting] };
  // Nothing reported yet (Actions has not queued its suite): wait the grace for it to appear.
  const nothingYet = suites.length === 0 && runs.length === 0 && statuses.length === 0;
  if (nothingYet && !required && rules.now - rules.waitingSince < rules.queuedGraceMs)
    return { state: 'pending', failing, waiting: ['GitHub Actions to report'] };
  return { state: waiting.size > 0 ? 'pending' : 'success', failing, waiting: [...waiting] };
}
