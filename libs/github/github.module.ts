import { DynamicModule, Module } from '@nestjs/common';
import { GITHUB_OPTIONS, GithubClient, GithubOptions } from './github.client';

@Module({})
export class GithubModule {
  static forRoot(options: GithubOptions): DynamicModule {
    return { module: GithubModule, providers: [GithubClient, { provide: GITHUB_OPTIONS, useValue: options }], exports: [GithubClient] };
  }
}
