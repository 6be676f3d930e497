import { Context } from '@temporalio/activity';
import { ApplicationFailure, ensureApplicationFailure, TemporalFailure } from '@temporalio/common';
import { Errors } from '../../libs/errors';
import { isStoreFailure } from '../../libs/persistence';
import { workerCountedAttempts } from '../../workflows/step-attempts';

/** The attempt being run and when its activity was first scheduled (the activity's Context outside tests). */
export interface AttemptInfo {
  attempt: number;
  scheduledTimestampMs: number;
  /** The activity's run and id: the same for every attempt of one step. */
  step?: string;
}

export interface StoreFailureOptions {
  /** How long after a step was scheduled a store failure is still retried (STORE_OUTAGE_TOLERANCE). */
  toleranceMs: number;
  /** Defaults to the running activity's `Context.current().info`. */
  info?: () => AttemptInfo;
  now?: () => number;
}

const DEFAULT_TOLERANCE_MS = 10 * 60_000;

/**
 * How each step's latest attempt in this worker ended: `store` (MongoDB failed it) or `running`
 * (never ended here: it timed out, or the worker lost it). Told apart at an attempt past the
 * step's own attempts: after a store failure it keeps trying within the tolerance; after a
 * timeout it ends as the step, as before the tolerance existed. A step unknown here (its attempts
 * ran on another worker) keeps trying within the tolerance. Bounded: the oldest go first.
 */
const lastEnding = new Map<string, 'store' | 'running'>();
const REMEMBERED_STEPS = 10_000;
function remember(step: string | undefined, ending: 'store' | 'running' | undefined): void {
  if (!step) return;
  lastEnding.delete(step);
  if (!ending) return;
  lastEnding.set(step, ending);
  if (lastEnding.size > REMEMBERED_STEPS) lastEnding.delete(lastEnding.keys().next().value!);
}

function currentInfo(): AttemptInfo {
  try {
    const { attempt, scheduledTimestampMs, activityId, workflowExecution } = Context.current().info;
    return { attempt, scheduledTimestampMs, step: `${workflowExecution?.runId}/${activityId}` };
  } catch {
    return { attempt: 1, scheduledTimestampMs: Date.now() }; // called outside an activity (unit tests)
  }
}

/**
 * The activities, each attempt's failure sorted (docs/reliability.md#store-failures-inside-a-step):
 * - a store failure is thrown as `deploy:db:unavailable` naming the activity, so a step that gives
 *   up because MongoDB did not answer ends the deployment with the store's code, not the step's (a
 *   stalled store once ended deployments as `deploy:github:no_pkg_json`); it stays retryable until
 *   `toleranceMs` has passed since the step was scheduled, whatever its attempt;
 * - the own failure of a step the worker counts (workflows/step-attempts.ts) stays retryable
 *   until its attempts are spent, then is thrown non-retryable; other activities' own failures
 *   pass as they are (their proxies cap their attempts).
 * The workflow proxies of a run started with STORE_OUTAGE_PATCH cap no attempts, so these two rules
 * decide; an attempt that starts past both its attempts and the tolerance (the ones before it
 * timed out, or failed in the store) gives up at once.
 */
export function reportStoreFailures<A extends object>(
  activities: A,
  options: StoreFailureOptions = { toleranceMs: DEFAULT_TOLERANCE_MS },
): A {
  const info = options.info ?? currentInfo;
  const now = options.now ?? Date.now;
  return Object.fromEntries(
    Object.entries(activities as Record<string, (...args: unknown[]) => Promise<unknown>>).map(([name, activity]) => [
      name,
      async (...args: unknown[]) => {
        const budget = workerCountedAttempts(name);
        // Only the steps the worker counts need their endings remembered (not the status writes, say).
        const started = budget === undefined ? { ...info(), step: undefined } : info();
        const outlasted = () => now() - started.scheduledTimestampMs > options.toleranceMs;
        if (budget !== undefined && started.attempt > budget) {
          // Its own attempts are spent, so the ones before it timed out or met the store failing.
          if (outlasted())
            throw ApplicationFailure.create({
              type: Errors.deployDbUnavailable.code,
              message: `${name} gave up: attempt ${started.attempt} of ${budget}, the attempts before it failing for more than the store outage tolerance (${options.toleranceMs} ms)`,
              nonRetryable: true,
            });
          if (started.step && lastEnding.get(started.step) === 'running') {
            remember(started.step, undefined);
            throw ApplicationFailure.nonRetryable(`${name} did not complete in ${budget} attempts (the last timed out).`);
          }
        }
        remember(started.step, 'running');
        try {
          const result = await activity(...args);
          remember(started.step, undefined);
          return result;
        } catch (error) {
          const store = isStoreFailure(error);
          remember(started.step, store && !outlasted() ? 'store' : undefined);
          if (store)
            throw ApplicationFailure.create({
              type: Errors.deployDbUnavailable.code,
              message: `The deployment store (MongoDB) failed during ${name}: ${(error as Error).message}`,
              cause: error as Error,
              nonRetryable: outlasted(),
            });
          if (budget === undefined || started.attempt < budget || !(error instanceof Error)) throw error;
          if (error instanceof TemporalFailure && !(error instanceof ApplicationFailure)) throw error; // a cancellation, say
          const failure = ensureApplicationFailure(error);
          if (failure.nonRetryable) throw error;
          // Its attempts spent: the same failure, no longer retryable.
          const last = ApplicationFailure.create({
            type: failure.type ?? undefined,
            message: failure.message,
            details: failure.details ?? undefined,
            cause: failure.cause,
            nonRetryable: true,
          });
          last.stack = error.stack;
          throw last;
        }
      },
    ]),
  ) as A;
}
