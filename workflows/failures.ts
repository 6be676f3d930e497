import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';

/** The application failure an activity threw, as a regular activity's failure carries it; undefined for anything else. */
export function applicationFailureOf(error: unknown): ApplicationFailure | undefined {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined;
}

/**
 * Runs a call whose failure never changes the deployment (a commit status, a notification, the
 * bookkeeping after the outcome is known): the failure stays in the activity's history, nothing
 * else happens. A cancellation is dropped as well unless `cancellation` is `'passed'`, for calls
 * inside the pipeline that a cancel must still stop.
 */
export async function bestEffort(call: () => Promise<unknown>, cancellation: 'dropped' | 'passed' = 'dropped'): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (cancellation === 'passed' && isCancellation(error)) throw error;
  }
}
