import type { QuickApi, TarballApi } from './proxies';

/**
 * How many attempts a step gets for its own failures, in one place: the workflow proxies
 * (workflows/proxies.ts) and the worker's activity wrapper (apps/worker/store-failures.ts) both
 * read it (docs/reliability.md#store-failures-inside-a-step).
 */
export const SHORT_STEP_ATTEMPTS = 5;
export const TARBALL_ATTEMPTS = 5;
/** Capped by its proxy as before: six failed reads in a row, each with these attempts, already span minutes. */
export const POLL_TARGET_ATTEMPTS = 10;
export const GITHUB_DEPLOYMENT_ATTEMPTS = 2;

/** Every activity of the proxies that cap no attempts since STORE_OUTAGE_PATCH: the table below must name each. */
type Counted = keyof QuickApi | keyof TarballApi;

/**
 * The steps whose proxies cap no attempts since STORE_OUTAGE_PATCH: the worker's wrapper ends
 * their own failures at these attempts and their store failures at the store outage tolerance.
 * Every other activity keeps its proxy's cap, and the wrapper leaves its own failures alone.
 */
export const WORKER_COUNTED_ATTEMPTS: Record<Counted, number> = {
  ciGate: SHORT_STEP_ATTEMPTS,
  resolvePackage: SHORT_STEP_ATTEMPTS,
  resolveApp: SHORT_STEP_ATTEMPTS,
  liveDeployment: SHORT_STEP_ATTEMPTS,
  commitStatus: SHORT_STEP_ATTEMPTS,
  finishDeployment: SHORT_STEP_ATTEMPTS,
  ciGates: SHORT_STEP_ATTEMPTS,
  githubChecks: SHORT_STEP_ATTEMPTS,
  compareCommits: SHORT_STEP_ATTEMPTS,
  readLineHead: SHORT_STEP_ATTEMPTS,
  writeLineHead: SHORT_STEP_ATTEMPTS,
  notify: SHORT_STEP_ATTEMPTS,
  fetchTarball: TARBALL_ATTEMPTS,
  inspectTarball: TARBALL_ATTEMPTS,
};

/** The attempts the worker counts for `activity`'s own failures; undefined: its proxy caps them. */
export function workerCountedAttempts(activity: string): number | undefined {
  return (WORKER_COUNTED_ATTEMPTS as Record<string, number>)[activity];
}
