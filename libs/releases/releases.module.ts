import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { AppsModule } from '../apps';
import { GithubCredentialsModule } from '../github';
import { ReleasesRepository } from './releases.repository';
import { ReleasesService } from './releases.service';

/**
 * Releases: the store, for both processes (the worker's pipeline makes and prunes releases,
 * libs/pipeline ReleaseKeeping), and the gateway's explicit actions (rollback, redeploy, env
 * change, promote). The gateway's needs the global DeploymentsModule (its starter) and GithubModule.
 */
@Module({})
export class ReleasesModule implements OnModuleInit {
  constructor(private readonly repository: ReleasesRepository) {}

  static forWorker(): DynamicModule {
    return { module: ReleasesModule, providers: [ReleasesRepository], exports: [ReleasesRepository] };
  }

  static forGateway(): DynamicModule {
    return {
      module: ReleasesModule,
      imports: [AppsModule, GithubCredentialsModule],
      providers: [ReleasesRepository, ReleasesService],
      exports: [ReleasesRepository, ReleasesService],
    };
  }

  async onModuleInit(): Promise<void> {
    // The unique index on `deployment` is what keeps a replayed finish from making two releases.
    await this.repository.ensureIndexes();
  }
}
