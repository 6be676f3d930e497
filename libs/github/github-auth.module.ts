import { DynamicModule, Module } from '@nestjs/common';
import { GithubCredentialsModule } from './credentials.module';
import { GithubOptions } from './github.client';
import { GithubModule } from './github.module';
import { GithubAuthService } from './github-auth.service';
import { GithubInstallationsService } from './github-installations.service';

/** `POST /1/auth/github` and `POST /1/auth/github/installations` for the gateway. */
@Module({})
export class GithubAuthModule {
  static forRoot(options: GithubOptions): DynamicModule {
    return {
      module: GithubAuthModule,
      imports: [GithubCredentialsModule, GithubModule.forRoot(options)],
      providers: [GithubAuthService, GithubInstallationsService],
      exports: [GithubAuthService, GithubInstallationsService, GithubCredentialsModule],
    };
  }
}
