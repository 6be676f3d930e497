import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppsModule } from '../../libs/apps';
import { AppConfig } from '../../libs/config';
import { DeploymentsRepository, DeploymentWorkflowsClient, TEMPORAL_OPTIONS } from '../../libs/deployments';
import { GithubCredentialsModule, GithubModule } from '../../libs/github';
import { createLogger } from '../../libs/logging';
import { MetricsModule } from '../../libs/metrics';
import { NOTIFICATION_LIMITS, NotificationsRepository } from '../../libs/notifications';
import { Db, MONGO_DB, MongoModule } from '../../libs/persistence';
import { SecretsModule } from '../../libs/secrets';
import {
  GithubActivities,
  NOTIFICATION_OUTBOUND,
  NotificationActivities,
  PIPELINE_SETTINGS,
  PipelineActivities,
  PipelineSettings,
  RELEASE_SETTINGS,
  ReleaseKeeping,
  ReleaseLineActivities,
  ReleaseLinesRepository,
  RETENTION_SETTINGS,
  RetentionService,
  StatusActivitiesService,
  WORKFLOW_SWEEP_SETTINGS,
  WorkflowEndSweep,
} from '../../libs/pipeline';
import { ReleasesRepository } from '../../libs/releases';
import { StatusModule } from '../../libs/status';
import { BlobStore, DirectoryBlobStore, GridFsBlobStore } from '../../libs/tarballs';
import { TargetsModule } from '../../libs/targets';
import { DeploymentActivities } from './deployment-activities';
import { TemporalWorkerService, WORKER_OPTIONS, WorkerOptions } from './temporal-worker.service';
import { WORKER_TUNING } from './worker-tuning';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, worker: Partial<WorkerOptions> = {}, logger: Logger = createLogger(config)): DynamicModule {
    const options: WorkerOptions = {
      address: config.temporal.address,
      tls: config.temporal.tls,
      apiKey: config.temporal.apiKey,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      notificationsTaskQueue: config.temporal.notificationsTaskQueue,
      maxConcurrentNotifications: config.notifications.concurrency,
      activitiesPerUserPerSecond: config.temporal.activitiesPerUserPerSecond,
      workflowBundlePath: config.workflowBundlePath,
      maxConcurrentActivities: WORKER_TUNING.maxConcurrentActivityTaskExecutions!,
      maxConcurrentWorkflowTasks: WORKER_TUNING.maxConcurrentWorkflowTaskExecutions!,
      ...worker,
    };
    const pipeline: PipelineSettings = {
      tar: config.tar,
      defaultTarget: config.defaultTarget,
      publicUrl: config.gateway.publicUrl,
      ci: config.ci,
      githubAppId: config.github.app?.id,
    };
    return {
      module: WorkerModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { logger } }),
        MetricsModule.forWorker({ host: config.metrics.host, port: config.metrics.workerPort }),
        MongoModule.forRoot(config.mongo),
        SecretsModule.forRoot(config.encryptionKey),
        StatusModule,
        AppsModule,
        GithubModule.forRoot(config.github),
        TargetsModule.forRoot({ outbound: config.targets }),
        GithubCredentialsModule,
      ],
      providers: [
        { provide: WORKER_OPTIONS, useValue: options },
        { provide: PIPELINE_SETTINGS, useValue: pipeline },
        { provide: RETENTION_SETTINGS, useValue: config.retention },
        RetentionService,
        // The release line is started by signal-with-start from an activity: the worker needs a client too.
        { provide: TEMPORAL_OPTIONS, useValue: config.temporal },
        DeploymentWorkflowsClient,
        { provide: WORKFLOW_SWEEP_SETTINGS, useValue: config.workflowSweep },
        WorkflowEndSweep,
        {
          provide: BlobStore,
          useFactory: (db: Db) => (config.blobs.store === 'gridfs' ? new GridFsBlobStore(db) : new DirectoryBlobStore(config.blobs.dir)),
          inject: [MONGO_DB],
        },
        StatusActivitiesService,
        DeploymentsRepository,
        { provide: RELEASE_SETTINGS, useValue: config.releases },
        ReleasesRepository,
        ReleaseKeeping,
        PipelineActivities,
        ReleaseLinesRepository,
        ReleaseLineActivities,
        GithubActivities,
        { provide: NOTIFICATION_OUTBOUND, useValue: config.targets },
        { provide: NOTIFICATION_LIMITS, useValue: config.notifications },
        NotificationsRepository,
        NotificationActivities,
        DeploymentActivities,
        TemporalWorkerService,
      ],
    };
  }
}
