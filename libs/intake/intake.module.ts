import { DynamicModule, Module } from '@nestjs/common';
import { AppsModule } from '../apps';
import { GithubCredentialsModule } from '../github';
import { GithubAppWebhookService } from './github-app-webhook.service';
import { INTAKE_SETTINGS, IntakeService, IntakeSettings } from './intake.service';

/**
 * Webhooks in, on the gateway: GitHub's and Travis' deliveries to /1/deploy and the GitHub App's
 * own webhook. Needs the global DeploymentsModule (records, the starter), GithubModule and PreviewsModule.
 */
@Module({})
export class IntakeModule {
  static forRoot(settings: IntakeSettings): DynamicModule {
    return {
      module: IntakeModule,
      imports: [AppsModule, GithubCredentialsModule],
      providers: [IntakeService, GithubAppWebhookService, { provide: INTAKE_SETTINGS, useValue: settings }],
      exports: [IntakeService, GithubAppWebhookService],
    };
  }
}
