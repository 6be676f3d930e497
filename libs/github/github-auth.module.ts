import { DynamicModule, Module } from '@nestjs/common';
import { GithubCredentialsModule } from './credentials.module';
import { GithubOptions } from './github.client';
import { GithubModule } from './github.module';
import { GithubAuthService } from './github-auth.service';

/** `POST /1/auth/github` for the gateway. */
@Module({})
export class GithubAuthModule {
  static forRoot(options: GithubOptions): DynamicModule {
    return {
      module: GithubAuthModule,
      imports: [GithubCredentialsModule, GithubModule.forRoot(options)],
      providers: [GithubAuthService],
      exports: [GithubAuthService],
    };
  }
}
