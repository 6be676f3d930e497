import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { AppsModule, AppTargetRulesModule } from '../../libs/apps';
import { AuthModule } from '../../libs/auth';
import { ServiceSettings } from '../../libs/config';
import { DeploymentsModule } from '../../libs/deployments';
import { IntakeModule } from '../../libs/intake';
import { GithubAuthModule } from '../../libs/github';
import { createLogger, httpLoggerOptions } from '../../libs/logging';
import { NotificationsModule } from '../../libs/notifications';
import { MongoModule } from '../../libs/persistence';
import { PreviewsModule } from '../../libs/previews';
import { PipelinesModule } from '../../libs/pipelines';
import { QuotasModule } from '../../libs/quotas';
import { ReleasesModule } from '../../libs/releases';
import { SecretsModule } from '../../libs/secrets';
import { ChangesModule, StatusModule } from '../../libs/status';
import { AppsController } from './controllers/apps.controller';
import { CollaboratorsController } from './controllers/collaborators.controller';
import { NotificationsController } from './controllers/notifications.controller';
import { ChangesController } from './controllers/changes.controller';
import { DeployController } from './controllers/deploy.controller';
import { GithubAppController } from './controllers/github-app.controller';
import { GithubAuthController } from './controllers/github-auth.controller';
import { DeploymentsController } from './controllers/deployments.controller';
import { UserDeploymentsController } from './controllers/user-deployments.controller';
import { HealthController } from './controllers/health.controller';
import { ReleasesController } from './controllers/releases.controller';
import { MetricsController } from './controllers/metrics.controller';
import { StatusController } from './controllers/status.controller';
import { StatusPageController } from './controllers/status-page.controller';
import { TokensController } from './controllers/tokens.controller';
import { UsersController } from './controllers/users.controller';
import { ApprovalsController } from './controllers/approvals.controller';
import { PreviewsController } from './controllers/previews.controller';
import { PipelinesController } from './controllers/pipelines.controller';
import { HealthService } from './health.service';

@Module({})
export class GatewayModule {
  static forRoot(config: ServiceSettings, logger: Logger = createLogger(config)): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: httpLoggerOptions(logger) }),
        MongoModule.forRoot(config.mongo),
        SecretsModule.forRoot(config.encryptionKey),
        QuotasModule.forRoot(config.quotas),
        AuthModule.forRoot(config.admin, config.loginLimits),
        StatusModule,
        ChangesModule.forRoot({ ...config.feed, publicUrl: config.gateway.publicUrl }),
        GithubAuthModule.forRoot(config.github),
        AppsModule,
        AppTargetRulesModule.forRoot({ outbound: config.targets, defaultTarget: config.defaultTarget }),
        DeploymentsModule.forGateway(config.temporal, { ciTimeoutMs: config.travis.waitTimeoutMs }),
        IntakeModule.forRoot({ travisPublicKey: config.travis.publicKey }),
        ReleasesModule.forGateway(),
        NotificationsModule.forGateway(config.notifications),
        PreviewsModule.forGateway(config.previews),
        PipelinesModule.forGateway(),
      ],
      controllers: [
        DeployController,
        DeploymentsController,
        UserDeploymentsController,
        StatusController,
        ChangesController,
        AppsController,
        ReleasesController,
        NotificationsController,
        UsersController,
        TokensController,
        GithubAuthController,
        GithubAppController,
        HealthController,
        StatusPageController,
        ApprovalsController,
        MetricsController,
        CollaboratorsController,
        PreviewsController,
        PipelinesController,
      ],
      providers: [HealthService],
    };
  }
}
