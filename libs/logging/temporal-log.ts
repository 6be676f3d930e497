import type { LogEntry } from '@temporalio/worker';
import type { Logger } from 'pino';
import { deploymentId } from '../deployments/workflow-ids';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal SDK's log entries (worker, workflow and activity loggers) as pino lines of the
 * process's logger: its metadata as fields, plus the deployment id of a deployment workflow.
 */
export function temporalLogFunction(logger: Logger): (entry: LogEntry) => void {
  const temporal = logger.child({ context: 'Temporal' });
  return (entry) => {
    const meta: Record<string, unknown> = { ...entry.meta };
    const workflowId = meta.workflowId;
    if (typeof workflowId === 'string' && workflowId.startsWith('deployment/')) meta.deploymentId = deploymentId(workflowId);
    temporal[LEVELS[entry.level] ?? 'info'](meta, entry.message);
  };
}
