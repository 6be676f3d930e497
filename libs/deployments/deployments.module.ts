import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { AppsModule } from '../apps';
import { DeploymentWorkflowsClient, TEMPORAL_OPTIONS, TemporalOptions } from './deployment-workflows.client';
import { DeploymentsRepository } from './deployments.repository';
import { INTAKE_SETTINGS, IntakeService, IntakeSettings } from './intake.service';

/** The gateway's side of deployments: intake and the Temporal client. */
@Module({})
export class DeploymentsModule implements OnModuleInit {
  constructor(private readonly repository: DeploymentsRepository) {}

  static forRoot(temporal: TemporalOptions, intake: IntakeSettings): DynamicModule {
    return {
      module: DeploymentsModule,
      imports: [AppsModule],
      providers: [
        DeploymentsRepository,
        DeploymentWorkflowsClient,
        IntakeService,
        { provide: TEMPORAL_OPTIONS, useValue: temporal },
        { provide: INTAKE_SETTINGS, useValue: intake },
      ],
      exports: [DeploymentsRepository, DeploymentWorkflowsClient, IntakeService],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes().catch(() => undefined);
  }
}
