import { DynamicModule, Module } from '@nestjs/common';
import { AppsModule } from '../apps';
import { ServiceSettings } from '../config';
import { DeploymentsModule } from '../deployments';
import { GithubCredentialsModule } from '../github';
import { NOTIFICATION_LIMITS, NotificationsModule } from '../notifications';
import { ReleasesModule, ReleasesService } from '../releases';
import { DeploymentStarter, STARTER_SETTINGS } from '../deployments/deployment-starter';
import { StatusModule } from '../status';
import { TarballsModule } from '../tarballs';
import { TargetsModule } from '../targets';
import { GithubActivities } from './github.activities';
import { HEALTH_OUTBOUND, HealthActivities } from './health.activities';
import { NOTIFICATION_OUTBOUND, NotificationActivities } from './notification.activities';
import { PipelineActivities } from './pipeline.activities';
import { PreviewActivities } from './preview.activities';
import { PipelineRunActivities } from './pipeline-run.activities';
import { PipelineRunSteps, PipelinesModule } from '../pipelines';
import { PreviewsModule } from '../previews';
import { PIPELINE_SETTINGS, PipelineSettings } from './pipeline-settings';
import { RELEASE_SETTINGS, ReleaseKeeping } from './release-keeping';
import { ReleaseLineActivities } from './release-line.activities';
import { ReleaseLinesRepository } from './release-lines.repository';
import { RETENTION_SETTINGS, RetentionService } from './retention.service';
import { StatusActivitiesService } from './status.activities';
import { WorkerActivities } from './worker-activities';
import { WORKFLOW_SWEEP_SETTINGS, WorkflowEndSweep } from './workflow-end-sweep.service';

/** The providers whose @Activity methods the workers register: a new class of activities goes here. */
export const ACTIVITY_PROVIDERS = [
  StatusActivitiesService,
  PipelineActivities,
  ReleaseLineActivities,
  GithubActivities,
  NotificationActivities,
  PreviewActivities,
  HealthActivities,
  PipelineRunActivities,
];

/**
 * The worker's side of deployments: every activity the workflows call, bound for the Temporal
 * workers (WorkerActivities), and the sweeps that close what a workflow left open and remove
 * what would only grow. Needs the global MongoModule, SecretsModule and GithubModule.
 */
@Module({})
export class PipelineModule {
  static forRoot(config: ServiceSettings): DynamicModule {
    const pipeline: PipelineSettings = {
      tar: config.tar,
      defaultTarget: config.defaultTarget,
      publicUrl: config.gateway.publicUrl,
      ci: config.ci,
      githubAppId: config.github.app?.id,
    };
    return {
      module: PipelineModule,
      imports: [
        // The release line is started by signal-with-start from an activity: the worker needs a client too.
        DeploymentsModule.forWorker(config.temporal),
        StatusModule,
        AppsModule,
        GithubCredentialsModule,
        TargetsModule.forRoot({ outbound: config.targets }),
        TarballsModule.forRoot(config.blobs),
        ReleasesModule.forWorker(),
        NotificationsModule.forWorker(),
        PreviewsModule.forWorker({ ciTimeoutMs: config.travis.waitTimeoutMs }),
        PipelinesModule.forWorker(),
      ],
      providers: [
        { provide: PIPELINE_SETTINGS, useValue: pipeline },
        { provide: RELEASE_SETTINGS, useValue: config.releases },
        { provide: NOTIFICATION_OUTBOUND, useValue: config.targets },
        { provide: HEALTH_OUTBOUND, useValue: config.targets },
        // A failed bake rolls back through the manual rollback's path (libs/releases), which starts a deployment.
        { provide: STARTER_SETTINGS, useValue: { ciTimeoutMs: config.travis.waitTimeoutMs } },
        DeploymentStarter,
        ReleasesService,
        // A release pipeline's promotions and compensations go through the releases' actions too.
        PipelineRunSteps,
        { provide: NOTIFICATION_LIMITS, useValue: config.notifications },
        { provide: RETENTION_SETTINGS, useValue: config.retention },
        { provide: WORKFLOW_SWEEP_SETTINGS, useValue: config.workflowSweep },
        ReleaseLinesRepository,
        ReleaseKeeping,
        ...ACTIVITY_PROVIDERS,
        { provide: WorkerActivities, useFactory: (...providers: object[]) => new WorkerActivities(providers), inject: ACTIVITY_PROVIDERS },
        RetentionService,
        WorkflowEndSweep,
      ],
      exports: [WorkerActivities],
    };
  }
}
