import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { AppsModule } from '../apps';
import { GithubCredentialsModule } from '../github';
import { StatusModule } from '../status';
import { DeploymentStarter, STARTER_SETTINGS, StarterSettings } from './deployment-starter';
import { DeploymentWorkflowsClient, TEMPORAL_OPTIONS, TemporalOptions } from './deployment-workflows.client';
import { DeploymentsRepository } from './deployments.repository';
import { DeploymentsService } from './deployments.service';
import { GithubAppWebhookService } from '../intake/github-app-webhook.service';
import { INTAKE_SETTINGS, IntakeService, IntakeSettings } from '../intake/intake.service';

/** The gateway's side of deployments: intake (with the GitHub App's webhook) and the Temporal client. Needs GithubAuthModule (stored credentials, App). */
@Module({})
export class DeploymentsModule implements OnModuleInit {
  constructor(private readonly repository: DeploymentsRepository) {}

  static forRoot(temporal: TemporalOptions, intake: IntakeSettings, starting: StarterSettings): DynamicModule {
    return {
      module: DeploymentsModule,
      imports: [AppsModule, StatusModule, GithubCredentialsModule],
      providers: [
        DeploymentsRepository,
        DeploymentWorkflowsClient,
        DeploymentStarter,
        IntakeService,
        GithubAppWebhookService,
        DeploymentsService,
        { provide: TEMPORAL_OPTIONS, useValue: temporal },
        { provide: INTAKE_SETTINGS, useValue: intake },
        { provide: STARTER_SETTINGS, useValue: starting },
      ],
      exports: [
        DeploymentsRepository,
        DeploymentWorkflowsClient,
        DeploymentStarter,
        IntakeService,
        GithubAppWebhookService,
        DeploymentsService,
      ],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes().catch(() => undefined);
  }
}
