import { DynamicModule, Logger, Module, OnModuleInit } from '@nestjs/common';
import { AppsModule } from '../apps';
import { GithubCredentialsModule } from '../github';
import { ReleasesRepository } from './releases.repository';
import { ReleasesService } from './releases.service';

/**
 * The gateway's side of releases (SPEC 6.4–6.6). `deployments` is the gateway's own
 * DeploymentsModule (the same dynamic module object, so one Temporal client and one intake);
 * GitHub's client comes from the gateway's (global) GithubModule.
 */
@Module({})
export class ReleasesModule implements OnModuleInit {
  constructor(private readonly repository: ReleasesRepository) {}

  static forRoot(deployments: DynamicModule): DynamicModule {
    return {
      module: ReleasesModule,
      imports: [AppsModule, GithubCredentialsModule, deployments],
      providers: [ReleasesRepository, ReleasesService],
      exports: [ReleasesRepository, ReleasesService],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.repository
      .ensureIndexes()
      .catch((error: Error) => new Logger(ReleasesModule.name).warn(`releases indexes not created: ${error.message}`));
  }
}
