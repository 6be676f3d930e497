import { DynamicModule, Module } from '@nestjs/common';
import { GithubApp } from './github-app';
import { GITHUB_OPTIONS, GithubClient, GithubOptions } from './github.client';

/** GitHub's REST API and the GitHub App; global, so the stored-credentials module reaches the App too. */
@Module({})
export class GithubModule {
  static forRoot(options: GithubOptions): DynamicModule {
    return {
      module: GithubModule,
      global: true,
      providers: [GithubClient, GithubApp, { provide: GITHUB_OPTIONS, useValue: options }],
      exports: [GithubClient, GithubApp],
    };
  }
}
