import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { AppsModule } from '../apps';
import { AppAccess } from '../auth/app-access';
import { ReleasesModule } from '../releases';
import { PipelinesRepository } from './pipelines.repository';
import { PipelinesService } from './pipelines.service';

/**
 * Release pipelines (docs/contract.md#release-pipelines). The gateway's: the pipelines and runs
 * API (starting a run through the global DeploymentsModule's client); the worker's: the store, for
 * the run's activities (PipelineRunSteps, provided beside the releases' actions in libs/pipeline).
 */
@Module({})
export class PipelinesModule implements OnModuleInit {
  constructor(private readonly repository: PipelinesRepository) {}

  static forGateway(): DynamicModule {
    return {
      module: PipelinesModule,
      imports: [AppsModule, ReleasesModule.forGateway()],
      // AppAccess, the one place that decides a caller's role on an app: the pipeline's checks are per app.
      providers: [PipelinesRepository, PipelinesService, AppAccess],
      exports: [PipelinesService],
    };
  }

  static forWorker(): DynamicModule {
    return { module: PipelinesModule, providers: [PipelinesRepository], exports: [PipelinesRepository] };
  }

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes();
  }
}
