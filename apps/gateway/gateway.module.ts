import { DynamicModule, Module } from '@nestjs/common';
import { AppsModule } from '../../libs/apps';
import { AuthModule } from '../../libs/auth';
import { AppConfig } from '../../libs/config';
import { DeploymentsModule } from '../../libs/deployments';
import { MongoModule } from '../../libs/persistence';
import { SecretsModule } from '../../libs/secrets';
import { StatusModule } from '../../libs/status';
import { AppsController } from './controllers/apps.controller';
import { DeployController } from './controllers/deploy.controller';
import { HealthController } from './controllers/health.controller';
import { StatusController } from './controllers/status.controller';
import { HealthService } from './health.service';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        MongoModule.forRoot(config.mongo),
        SecretsModule.forRoot(config.encryptionKey),
        AuthModule.forRoot(config.admin),
        StatusModule,
        AppsModule,
        DeploymentsModule.forRoot(config.temporal, { travisPublicKey: config.travis.publicKey }),
      ],
      controllers: [DeployController, StatusController, AppsController, HealthController],
      providers: [HealthService],
    };
  }
}
