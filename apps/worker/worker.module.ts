import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { ServiceSettings } from '../../libs/config';
import { GithubModule } from '../../libs/github';
import { MetricsModule } from '../../libs/metrics';
import { MongoModule } from '../../libs/persistence';
import { PipelineModule } from '../../libs/pipeline';
import { SecretsModule } from '../../libs/secrets';
import { TemporalWorkerService, WORKER_OPTIONS, WorkerOptions } from './temporal-worker.service';
import { createWorkerLogger } from './worker-logger';
import { WORKER_TUNING } from './worker-tuning';

@Module({})
export class WorkerModule {
  static forRoot(config: ServiceSettings, worker: Partial<WorkerOptions> = {}, logger: Logger = createWorkerLogger(config)): DynamicModule {
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
      storeOutageToleranceMs: config.storeOutageToleranceMs,
      maxConcurrentActivities: WORKER_TUNING.maxConcurrentActivityTaskExecutions!,
      maxConcurrentWorkflowTasks: WORKER_TUNING.maxConcurrentWorkflowTaskExecutions!,
      ...worker,
    };
    return {
      module: WorkerModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: { logger } }),
        MetricsModule.forWorker({ host: config.metrics.host, port: config.metrics.workerPort }),
        MongoModule.forRoot(config.mongo),
        SecretsModule.forRoot(config.encryptionKey),
        GithubModule.forRoot(config.github),
        PipelineModule.forRoot(config),
      ],
      providers: [{ provide: WORKER_OPTIONS, useValue: options }, TemporalWorkerService],
    };
  }
}
