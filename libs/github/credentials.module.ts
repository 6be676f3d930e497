import { Module } from '@nestjs/common';
import { GithubCredentialsRepository } from './credentials.repository';
import { GithubCredentials } from './credentials.service';
import { GithubTokens } from './github-tokens';

/**
 * Stored GitHub tokens, for the gateway (storing) and the worker (using). Needs the global
 * MongoModule and SecretsModule. Also provides the `GithubTokens` the pipeline asks for.
 */
@Module({
  providers: [GithubCredentialsRepository, GithubCredentials, { provide: GithubTokens, useExisting: GithubCredentials }],
  exports: [GithubCredentialsRepository, GithubCredentials, GithubTokens],
})
export class GithubCredentialsModule {}
