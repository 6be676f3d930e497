import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { AppsModule } from '../apps';
import { DeploymentStarter, STARTER_SETTINGS, StarterSettings } from '../deployments/deployment-starter';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { DeploymentsRepository } from '../deployments/deployments.repository';
import { GithubCredentialsModule } from '../github';
import { PreviewLifecycle } from './preview-lifecycle';
import { PreviewsRepository } from './previews.repository';
import { PREVIEW_SETTINGS, PreviewSettings, PreviewsService } from './previews.service';

/**
 * Preview apps of pull requests (docs/contract.md#preview-apps). The gateway's: the intake's
 * decisions and the list; the worker's: what the preview workflow's activities do, starting
 * deployments through its own DeploymentStarter (the global DeploymentsModule's records and client).
 */
@Module({})
export class PreviewsModule implements OnModuleInit {
  constructor(private readonly repository: PreviewsRepository) {}

  /** Global: the intake and the previews' controller share it. */
  static forGateway(settings: PreviewSettings): DynamicModule {
    return {
      module: PreviewsModule,
      global: true,
      imports: [AppsModule],
      providers: [PreviewsRepository, PreviewsService, { provide: PREVIEW_SETTINGS, useValue: settings }],
      exports: [PreviewsRepository, PreviewsService],
    };
  }

  static forWorker(starting: StarterSettings): DynamicModule {
    return {
      module: PreviewsModule,
      imports: [AppsModule, GithubCredentialsModule],
      providers: [
        PreviewsRepository,
        PreviewLifecycle,
        { provide: STARTER_SETTINGS, useValue: starting },
        {
          provide: DeploymentStarter,
          useFactory: (records: DeploymentsRepository, workflows: DeploymentWorkflowsClient, settings: StarterSettings) =>
            new DeploymentStarter(records, workflows, settings),
          inject: [DeploymentsRepository, DeploymentWorkflowsClient, STARTER_SETTINGS],
        },
      ],
      exports: [PreviewLifecycle],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes();
  }
}
