import type { StatusWrite } from './types';

/** The activities the deployment workflow calls; implemented in libs/deployments/activities. */
export interface StatusActivities {
  recordStatus(write: StatusWrite): Promise<void>;
}
