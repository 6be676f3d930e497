import { Logger } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../workflows/types';

/**
 * Registers the deployment search attributes (Keyword) in the namespace if missing, so the
 * Temporal UI can filter e.g. every deployment stuck in `processing`. Idempotent.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.values(SEARCH_ATTRIBUTES).filter((name) => !(name in (existing.customAttributes ?? {})));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    new Logger('Temporal').log(`registered search attributes ${missing.join(', ')} in ${namespace}`);
  } catch (error) {
    // Another worker registered them at the same moment.
    if (!/already exists/i.test((error as Error).message)) throw error;
  }
}

/**
 * Sets how many activity tasks of one user (the fairness key every workflow carries) the server
 * dispatches per second on the deployments' task queue; 0 lifts the limit. One user's burst then
 * waits on the server, in turn, instead of filling every worker (docs/reliability.md#tenant-isolation-review). Answers why it could not be set (a server before 1.29 or without fairness), or null.
 */
export async function limitActivitiesPerUser(
  connection: Connection,
  target: { namespace: string; taskQueue: string },
  perSecond: number,
): Promise<string | null> {
  try {
    await connection.workflowService.updateTaskQueueConfig({
      ...target,
      identity: 'deploy-webhooks worker',
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      updateFairnessKeyRateLimitDefault: {
        rateLimit: perSecond > 0 ? { requestsPerSecond: perSecond } : null,
        reason: perSecond > 0 ? `TENANT_ACTIVITIES_PER_SECOND=${perSecond}` : 'TENANT_ACTIVITIES_PER_SECOND=0 (no limit)',
      },
    });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
