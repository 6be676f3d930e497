import { deployment } from './deployment.workflow';
import type { DeploymentInput, DeploymentOutcome } from './types';

/**
 * UNDEPLOY (docs/contract.md#undeploy) as its own workflow type: the target removes what the app's last deployment
 * put there. It takes its turn in the app's release line (docs/contract.md#one-deployment-at-a-time): it starts at the target only
 * once the deployment there has ended, ends the deployments waiting, and sets no commit status.
 * Its steps are the deployment workflow's UNDEPLOY path (one code path for both, and the
 * `deployment` type keeps it for undeployments started before this type existed).
 */
export async function undeployment(input: Omit<DeploymentInput, 'operation'>): Promise<DeploymentOutcome> {
  return deployment({ ...input, operation: 'UNDEPLOY' });
}
