import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { AppsModule } from '../apps';
import { DEPLOYMENT_APPS } from '../auth/app-access';
import { StatusModule } from '../status';
import { DeploymentStarter, STARTER_SETTINGS, StarterSettings } from './deployment-starter';
import { DeploymentWorkflowsClient, TEMPORAL_OPTIONS, TemporalOptions } from './deployment-workflows.client';
import { DeploymentsRepository } from './deployments.repository';
import { DeploymentsService } from './deployments.service';
import { ApprovalsService } from './approvals.service';

/** What both processes have: the records and the Temporal client. */
const shared = (temporal: TemporalOptions) => ({
  providers: [
    DeploymentsRepository,
    DeploymentWorkflowsClient,
    { provide: TEMPORAL_OPTIONS, useValue: temporal },
    // Who may read or act on a deployment by id is decided on its app (AppAccess, docs/contract.md#collaborators).
    { provide: DEPLOYMENT_APPS, useExisting: DeploymentsRepository },
  ],
  exports: [DeploymentsRepository, DeploymentWorkflowsClient, DEPLOYMENT_APPS],
});

/**
 * Deployment records and the Temporal client, one of each per process: global, for every library
 * that reads, starts or signals a deployment. The gateway's adds the one way to start a
 * deployment and the deployments API (view, retry, undeploy, cancel).
 */
@Module({})
export class DeploymentsModule implements OnModuleInit {
  constructor(private readonly repository: DeploymentsRepository) {}

  /** The worker's: its activities signal release lines and start deliveries, its sweep reads Temporal. */
  static forWorker(temporal: TemporalOptions): DynamicModule {
    return { module: DeploymentsModule, global: true, ...shared(temporal) };
  }

  static forGateway(temporal: TemporalOptions, starting: StarterSettings): DynamicModule {
    const { providers, exports } = shared(temporal);
    return {
      module: DeploymentsModule,
      global: true,
      imports: [AppsModule, StatusModule],
      providers: [...providers, DeploymentStarter, DeploymentsService, ApprovalsService, { provide: STARTER_SETTINGS, useValue: starting }],
      exports: [...exports, DeploymentStarter, DeploymentsService, ApprovalsService],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes();
  }
}
