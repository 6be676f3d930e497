import type { DestinationStream, Logger } from 'pino';
import { ServiceSettings } from '../../libs/config';
import { deploymentId, isCommitDeployment } from '../../libs/deployments';
import { createLogger } from '../../libs/logging';

/** The worker's logger: a line logged inside an activity carries the deployment id its workflow's id derives. */
export function createWorkerLogger(config: ServiceSettings, destination?: DestinationStream): Logger {
  return createLogger(config, destination, deploymentId);
}

/** The deployment the Temporal SDK's own lines name: that of a commit's deployment workflow. */
export function sdkLineDeployment(workflowId: string): string | undefined {
  return isCommitDeployment(workflowId) ? deploymentId(workflowId) : undefined;
}
