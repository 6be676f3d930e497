import { Injectable } from '@nestjs/common';
import { PipelineActivities, StatusActivitiesService } from '../../libs/deployments';
import type { DeploymentActivitiesApi } from '../../workflows/activities';

/**
 * Every activity the deployment workflow calls, gathered from the capability libraries and
 * bound to their Nest instances for the Temporal worker.
 */
@Injectable()
export class DeploymentActivities {
  constructor(private readonly status: StatusActivitiesService, private readonly pipeline: PipelineActivities) {}

  forWorker(): DeploymentActivitiesApi {
    const p = this.pipeline;
    return {
      recordStatus: this.status.recordStatus.bind(this.status),
      ciGate: p.ciGate.bind(p),
      resolvePackage: p.resolvePackage.bind(p),
      resolveApp: p.resolveApp.bind(p),
      fetchTarball: p.fetchTarball.bind(p),
      inspectTarball: p.inspectTarball.bind(p),
      uploadPackage: p.uploadPackage.bind(p),
      pollTarget: p.pollTarget.bind(p),
      commitStatus: p.commitStatus.bind(p),
      finishDeployment: p.finishDeployment.bind(p),
    };
  }
}
