import { Injectable } from '@nestjs/common';
import {
  GithubActivities,
  NotificationActivities,
  PipelineActivities,
  ReleaseLineActivities,
  StatusActivitiesService,
} from '../../libs/pipeline';
import type {
  DeploymentActivitiesApi,
  GithubActivitiesApi,
  LineActivitiesApi,
  NotificationActivitiesApi,
} from '../../workflows/activities';

/**
 * Every activity the deployment workflow calls, gathered from the capability libraries and
 * bound to their Nest instances for the Temporal worker.
 */
@Injectable()
export class DeploymentActivities {
  constructor(
    private readonly status: StatusActivitiesService,
    private readonly pipeline: PipelineActivities,
    private readonly line: ReleaseLineActivities,
    private readonly github: GithubActivities,
    private readonly notifications: NotificationActivities,
  ) {}

  forWorker(): DeploymentActivitiesApi & LineActivitiesApi & GithubActivitiesApi & NotificationActivitiesApi {
    const p = this.pipeline;
    const l = this.line;
    const g = this.github;
    const n = this.notifications;
    return {
      ciGates: g.ciGates.bind(g),
      githubChecks: g.githubChecks.bind(g),
      githubDeployment: g.githubDeployment.bind(g),
      githubDeploymentStatus: g.githubDeploymentStatus.bind(g),
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
      signalLine: l.signalLine.bind(l),
      compareCommits: l.compareCommits.bind(l),
      readLineHead: l.readLineHead.bind(l),
      writeLineHead: l.writeLineHead.bind(l),
      notify: n.notify.bind(n),
      ...this.forNotifications(),
    };
  }

  /** What the notification workflow calls: the notifications worker registers these alone. */
  forNotifications(): Pick<NotificationActivitiesApi, 'deliverNotification' | 'deliveryGaveUp'> {
    const n = this.notifications;
    return { deliverNotification: n.deliverNotification.bind(n), deliveryGaveUp: n.deliveryGaveUp.bind(n) };
  }
}
