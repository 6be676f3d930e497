import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../../libs/config';
import { StatusActivitiesService } from '../../libs/deployments';
import { MongoModule } from '../../libs/persistence';
import { SecretsModule } from '../../libs/secrets';
import { StatusModule } from '../../libs/status';
import { DeploymentActivities } from './deployment-activities';
import { TemporalWorkerService, WORKER_OPTIONS, WorkerOptions } from './temporal-worker.service';

@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, worker: Partial<WorkerOptions> = {}): DynamicModule {
    const options: WorkerOptions = {
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundlePath: process.env.WORKFLOW_BUNDLE,
      maxConcurrentActivities: 100,
      maxConcurrentWorkflowTasks: 40,
      ...worker,
    };
    return {
      module: WorkerModule,
      imports: [MongoModule.forRoot(config.mongo), SecretsModule.forRoot(config.encryptionKey), StatusModule],
      providers: [{ provide: WORKER_OPTIONS, useValue: options }, StatusActivitiesService, DeploymentActivities, TemporalWorkerService],
    };
  }
}
