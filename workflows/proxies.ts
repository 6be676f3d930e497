import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type {
  DeploymentActivitiesApi,
  GithubActivitiesApi,
  LineActivitiesApi,
  NotificationActivitiesApi,
  WindowActivitiesApi,
  HealthActivitiesApi,
} from './activities';
import { STORE_OUTAGE_PATCH } from './patches';
import { GITHUB_DEPLOYMENT_ATTEMPTS, POLL_TARGET_ATTEMPTS, SHORT_STEP_ATTEMPTS, TARBALL_ATTEMPTS } from './step-attempts';

/**
 * Every activity the workflows call, by how it runs: each proxy is typed with only the activities
 * of its class (`Pick`), so calling one through the wrong proxy does not compile (a 2 GiB download
 * as a local activity, say; test/workflows/activity-proxies.spec.ts holds the line). Why each
 * class runs as it does: docs/architecture.md#the-deployment-workflow.
 */

const backoff = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;

/**
 * The proxy of a step whose attempts the worker counts (`now`, no cap on attempts: the worker's
 * activity wrapper ends a step's own failures at its attempts of workflows/step-attempts.ts and
 * rides store failures out for the store outage tolerance), or, in a run started before
 * STORE_OUTAGE_PATCH, the same options with the cap (`before`). Only the retry policy differs.
 */
function byPatch<T extends object>(now: T, before: T): T {
  return new Proxy({} as T, { get: (_, name) => (patched(STORE_OUTAGE_PATCH) ? now : before)[name as keyof T] });
}

// Local activities run inside the workflow task: no server round trip (about 100 ms each on the
// dev server, most of a deployment's orchestration overhead). Only for short calls that are safe
// to repeat: a worker that dies mid-task runs them again on the retried task.

/** Short, idempotent reads and writes: a MongoDB document, a small GitHub read or commit status, starting the deliveries of an event. */
export type QuickApi = Pick<
  DeploymentActivitiesApi,
  'ciGate' | 'resolvePackage' | 'resolveApp' | 'liveDeployment' | 'commitStatus' | 'finishDeployment'
> &
  Pick<GithubActivitiesApi, 'ciGates' | 'githubChecks'> &
  Pick<LineActivitiesApi, 'compareCommits' | 'readLineHead' | 'writeLineHead'> &
  Pick<NotificationActivitiesApi, 'notify'>;
export const quick = byPatch(
  proxyLocalActivities<QuickApi>({ startToCloseTimeout: '30 seconds', retry: backoff }),
  proxyLocalActivities<QuickApi>({ startToCloseTimeout: '30 seconds', retry: { ...backoff, maximumAttempts: SHORT_STEP_ATTEMPTS } }),
);

/** Status entries: small, idempotent, frequent; retried until written. */
export const statusWrites = proxyLocalActivities<Pick<DeploymentActivitiesApi, 'recordStatus'>>({
  startToCloseTimeout: '10 seconds',
  retry: backoff,
});

/** The app's release line, signalled with start (signal-with-start needs a client); retried until it gets through. */
export const lineSignals = proxyLocalActivities<Pick<LineActivitiesApi, 'signalLine'>>({
  startToCloseTimeout: '30 seconds',
  retry: backoff,
});

/** GitHub deployments are a courtesy: one quick retry, never a long stall of the deployment. */
export const githubDeployments = proxyLocalActivities<Pick<GithubActivitiesApi, 'githubDeployment' | 'githubDeploymentStatus'>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: GITHUB_DEPLOYMENT_ATTEMPTS },
});

// Regular activities: scheduled through the server, so a slow one never holds a workflow task,
// and one exists only once the task that asks for it is accepted.

/** The deployment's `done` entry (workflows/deployment/status-log.ts says why it is not local). */
export const statusEnd = proxyActivities<Pick<DeploymentActivitiesApi, 'recordStatus'>>({
  startToCloseTimeout: '10 seconds',
  retry: backoff,
});

/**
 * The tarball, downloaded and then read whole by the inspection (up to TAR_MAX_BYTES, 2 GiB): they
 * heartbeat, so a dead worker's attempt moves on within seconds.
 */
export type TarballApi = Pick<DeploymentActivitiesApi, 'fetchTarball' | 'inspectTarball'>;
const tarballOptions = { startToCloseTimeout: '30 minutes', heartbeatTimeout: '10 seconds' } as const;
export const tarballWork = byPatch(
  proxyActivities<TarballApi>({ ...tarballOptions, retry: backoff }),
  proxyActivities<TarballApi>({ ...tarballOptions, retry: { ...backoff, maximumAttempts: TARBALL_ATTEMPTS } }),
);

/** The upload to the target, as long and heartbeating: one attempt per activity, the workflow counts attempts so each shows in the status log. */
export const uploads = proxyActivities<Pick<DeploymentActivitiesApi, 'uploadPackage'>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

/** One read of the target's processing status: a call to another party, retried briefly; the workflow paces the polls. */
export const targetStatus = proxyActivities<Pick<DeploymentActivitiesApi, 'pollTarget'>>({
  startToCloseTimeout: '30 seconds',
  retry: { ...backoff, maximumInterval: '10 seconds', maximumAttempts: POLL_TARGET_ATTEMPTS },
});

/** One notification's delivery: GitHub retries failed webhook deliveries for hours; so do we: 1 s, 2 s, 4 s … at most an hour apart, for 24 h. */
export const deliveryAttempts = proxyActivities<Pick<NotificationActivitiesApi, 'deliverNotification'>>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 hour' },
});

/** A delivery's record when it gave up: a MongoDB write. */
export const deliveryRecords = proxyActivities<Pick<NotificationActivitiesApi, 'deliveryGaveUp'>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

/**
 * An ACTIVATE push (docs/contract.md#activate): no archive, so short; a call to another party,
 * retried briefly (the receiver processes a `_doc` once, however often it is pushed).
 */
export const activations = proxyActivities<Pick<DeploymentActivitiesApi, 'activateRelease'>>({
  startToCloseTimeout: '1 minute',
  retry: { ...backoff, maximumAttempts: 5 },
});
/** The app's deploy windows read: a MongoDB document and a computation, safe to repeat. */
export const windowChecks = proxyLocalActivities<WindowActivitiesApi>({ startToCloseTimeout: '30 seconds', retry: backoff });

/**
 * One probe of a health-checked bake: one attempt (the bake counts failures, not Temporal); the
 * probe keeps to the check's own timeout (at most 60 s) and heartbeats, so a lost worker's probe
 * ends within seconds.
 */
export const healthProbes = proxyActivities<Pick<HealthActivitiesApi, 'probeHealth'>>({
  startToCloseTimeout: '70 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

/** The automatic rollback after a failed bake: idempotent (keyed by the failed deployment), retried until it answers. */
export const rollbacks = proxyActivities<Pick<HealthActivitiesApi, 'autoRollback'>>({
  startToCloseTimeout: '1 minute',
  retry: backoff,
});
