import { createHash, createHmac } from 'node:crypto';
import type { DeploymentEvent } from '../../workflows/types';

/** What a deployment tells its app's subscribers, as the workflow knows it. */
export interface DeploymentNotice {
  event: DeploymentEvent;
  deploymentId: string;
  user: string;
  app: string;
  repository: string;
  commit: string;
  error?: { code: string; message: string };
}

/** One id per (deployment, event, subscription): the local activity that creates it may run again; the id stays. */
export function deliveryId(deploymentId: string, event: DeploymentEvent, subscription: string): string {
  const hex = createHash('sha256').update(`${deploymentId}\n${event}\n${subscription}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const VERBS: Record<DeploymentEvent, string> = {
  'deployment.queued': 'is queued',
  'deployment.started': 'started at its target',
  'deployment.succeeded': 'succeeded',
  'deployment.failed': 'failed',
  'deployment.canceled': 'ended without deploying',
  'deployment.rolled_back': 'rolled back',
  'deployment.awaiting_approval': 'awaits approval',
  'deployment.approved': 'was approved',
  'preview.ready': 'made its preview app live',
  'preview.removed': 'removed its preview app',
  'pipeline.started': 'started a pipeline run',
  'pipeline.succeeded': 'completed its pipeline run',
  'pipeline.failed': 'failed its pipeline run',
  'pipeline.compensated': 'compensated its pipeline run',
};

/** The body of a delivery, fixed when the delivery is created: every retry and redelivery sends these bytes. */
export function deliveryBody(notice: DeploymentNotice, id: string, format: 'json' | 'slack', at: Date, statusPage?: string): string {
  if (format === 'slack') {
    const why = notice.error ? `: ${notice.error.code} (${notice.error.message})` : '';
    const link = statusPage ? ` <${statusPage}|details>` : '';
    return JSON.stringify({
      text: `Deployment ${notice.deploymentId} of *${notice.app}* (${notice.repository}@${notice.commit.slice(0, 7)}) ${VERBS[notice.event]}${why}.${link}`,
    });
  }
  return JSON.stringify({
    event: notice.event,
    delivery: id,
    createdAt: at.toISOString(),
    deployment: {
      id: notice.deploymentId,
      user: notice.user,
      app: notice.app,
      repository: notice.repository,
      commit: notice.commit,
      ...(notice.error && { error: notice.error }),
    },
  });
}

/** GitHub's webhook signature scheme: `sha256=` and the hex HMAC-SHA256 of the body under the secret. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
