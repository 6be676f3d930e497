import type { LogEntry } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { DeploymentOf } from './logger';

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * The Temporal SDK's log entries (worker, workflow and activity loggers) as pino lines of the
 * process's logger: its metadata as fields, plus the deployment id `deploymentOf` gives its workflow.
 */
export function temporalLogFunction(logger: Logger, deploymentOf?: DeploymentOf): (entry: LogEntry) => void {
  const temporal = logger.child({ context: 'Temporal' });
  return (entry) => {
    const meta: Record<string, unknown> = { ...entry.meta };
    const workflowId = meta.workflowId;
    const deploymentId = typeof workflowId === 'string' ? deploymentOf?.(workflowId) : undefined;
    if (deploymentId !== undefined) meta.deploymentId = deploymentId;
    temporal[LEVELS[entry.level] ?? 'info'](meta, entry.message);
  };
}
