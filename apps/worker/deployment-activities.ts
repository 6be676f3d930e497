import { Injectable } from '@nestjs/common';
import { StatusActivitiesService } from '../../libs/deployments';

/**
 * Every activity the deployment workflow calls, gathered from the capability libraries and
 * bound to their Nest instances for the Temporal worker.
 */
@Injectable()
export class DeploymentActivities {
  constructor(private readonly status: StatusActivitiesService) {}

  forWorker(): Record<string, (...args: never[]) => Promise<unknown>> {
    return {
      recordStatus: this.status.recordStatus.bind(this.status),
    };
  }
}
