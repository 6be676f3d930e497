import { createHash } from 'node:crypto';

/**
 * Every workflow id, built here and nowhere else (test/layout checks it): ids derive from
 * business keys, so a redelivery, a retried request or a second gateway meets the workflow (and
 * the deployment record) made the first time, and never starts another.
 */

/**
 * One workflow per (user, repository, commit), so GitHub and Travis meet on it and a redelivery
 * finds it. The deployment id is derived from the workflow id.
 */
export function deploymentWorkflowId(user: string, repository: string, commit: string): string {
  return `deployment/${user}/${repository}/${commit}`;
}

/** The deployment of one app when several apps deploy the repository (docs/contract.md#several-apps-per-repository); not the first one's. */
export function appDeploymentWorkflowId(repositoryWorkflowId: string, app: string): string {
  return `${repositoryWorkflowId}/app/${app}`;
}

export function retryWorkflowId(originalWorkflowId: string, retryNumber: number): string {
  return `${originalWorkflowId}/retry-${retryNumber}`;
}

/** A commit's deployment (a push's or Travis', or a retry of one), as opposed to an explicit action's or an undeployment. */
export function isCommitDeployment(workflowId: string): boolean {
  return workflowId.startsWith('deployment/');
}

/**
 * An explicit action on an app (rollback, redeploy, env change, promotion), keyed by the request's
 * uuid: the same request sent again answers the same deployment.
 */
export function releaseWorkflowId(user: string, app: string, cause: string, uuid: string): string {
  return `release/${user}/${app}/${cause}/${uuid}`;
}

/**
 * The `attempt`-th undeployment of the app as it is (its creation and revision: a re-created or
 * changed app is asked afresh) after its last deployment; `removeApp`: its configuration goes too.
 */
export function undeploymentWorkflowId(
  app: { user: string; name: string; createdAt: number; revision: number },
  lastDeployment: string | undefined,
  removeApp: boolean,
  attempt: number,
): string {
  const first = `undeploy/${app.user}/${app.name}/${app.createdAt}.${app.revision}/${lastDeployment ?? 'none'}${removeApp ? '/remove' : ''}`;
  return attempt === 1 ? first : `${first}/again-${attempt - 1}`;
}

export function isUndeployment(workflowId: string): boolean {
  return workflowId.startsWith('undeploy/');
}

export function deploymentId(workflowId: string): string {
  return `dep_${createHash('sha256').update(workflowId).digest('hex').slice(0, 20)}`;
}

/** TEMPORAL_TASK_QUEUE's default (libs/config/service-settings.ts): its lines keep the ids they had before task queues were named in them. */
export const DEFAULT_TASK_QUEUE = 'deployments';

/**
 * An app's release line (docs/contract.md#release-lines): one workflow per (user, app) and
 * installation. Two installations may share a Temporal namespace with different task queues
 * (TEMPORAL_TASK_QUEUE): a line on another queue than the default names it, so each orders only
 * its own deployments (docs/operations.md#upgrading). User and app names hold no `/`, so
 * `line/<user>/<app>` and `line/<queue>/<user>/<app>` never meet.
 */
export function lineWorkflowId(user: string, app: string, taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? `line/${user}/${app}` : `line/${taskQueue}/${user}/${app}`;
}

/** One delivery of a notification (docs/reliability.md#tenant-isolation-review): the first send, or the n-th redelivery asked through the API. */
export function notificationWorkflowId(deliveryId: string, redelivery?: number): string {
  return redelivery === undefined ? `notification/${deliveryId}` : `notification/${deliveryId}/redeliver-${redelivery}`;
}

/** The preview of one pull request of an app (docs/contract.md#preview-apps): one workflow per (user, app, pull request number), for its whole life. */
export function previewWorkflowId(user: string, app: string, pr: number): string {
  return `preview/${user}/${app}/${pr}`;
}

/**
 * A preview app's deployment of one head of its pull request: the commit's deployment for that app,
 * as a push fanned out to several apps names it, so a redelivered event or a retried activity meets it.
 */
export function previewDeploymentWorkflowId(user: string, repository: string, commit: string, previewApp: string): string {
  return appDeploymentWorkflowId(deploymentWorkflowId(user, repository, commit), previewApp);
}

/**
 * The runs of a release pipeline (docs/contract.md#release-pipelines): one workflow id per
 * pipeline, reused by each run once the last has closed, so Temporal itself refuses a second run
 * while one is running.
 */
export function pipelineRunWorkflowId(user: string, pipeline: string): string {
  return `pipeline/${user}/${pipeline}`;
}

/** A run's id, from the request that asked for it: the same request sent again answers the same run. */
export function pipelineRunId(user: string, pipeline: string, uuid: string): string {
  return `run_${createHash('sha256').update(`${user}/${pipeline}/${uuid}`).digest('hex').slice(0, 20)}`;
}

/** The keys of a run's explicit actions on one app: its promotion and its compensation (each starts once). */
export function pipelineActionKey(runId: string, app: string, action: 'promote' | 'compensate'): string {
  return `${runId}-${app}-${action}`;
}
