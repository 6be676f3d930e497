import { createHash } from 'node:crypto';

/**
 * Business keys: one workflow per (user, repository, commit), so GitHub and Travis meet on it
 * and a redelivery finds it. The deployment id is derived from the workflow id.
 */
export function deploymentWorkflowId(user: string, repository: string, commit: string): string {
  return `deployment/${user}/${repository}/${commit}`;
}

/** The deployment of one app when several apps deploy the repository (SPEC 8, Environments); not the first one's. */
export function appDeploymentWorkflowId(repositoryWorkflowId: string, app: string): string {
  return `${repositoryWorkflowId}/app/${app}`;
}

export function retryWorkflowId(originalWorkflowId: string, retryNumber: number): string {
  return `${originalWorkflowId}/retry-${retryNumber}`;
}

export function deploymentId(workflowId: string): string {
  return `dep_${createHash('sha256').update(workflowId).digest('hex').slice(0, 20)}`;
}

/** An app's release line (SPEC 6.1, 6.2): one workflow per (user, app). */
export function lineWorkflowId(user: string, app: string): string {
  return `line/${user}/${app}`;
}

/** One delivery of a notification (docs/reliability.md, Tenant isolation): the first send, or the n-th redelivery asked through the API. */
export function notificationWorkflowId(deliveryId: string, redelivery?: number): string {
  return redelivery === undefined ? `notification/${deliveryId}` : `notification/${deliveryId}/redeliver-${redelivery}`;
}
