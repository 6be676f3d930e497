import { Module } from '@nestjs/common';
import { GithubCredentialsRepository } from './credentials.repository';
import { GithubCredentials } from './credentials.service';
import { GithubTokens } from './github-tokens';
import { GithubInstallationsRepository } from './installations.repository';

/**
 * Stored GitHub tokens, for the gateway (storing) and the worker (using). Needs the global
 * MongoModule and SecretsModule, and GithubModule (global) for the GitHub App. Also provides the `GithubTokens` the pipeline asks for.
 */
@Module({
  providers: [
    GithubCredentialsRepository,
    GithubInstallationsRepository,
    GithubCredentials,
    { provide: GithubTokens, useExisting: GithubCredentials },
  ],
  exports: [GithubCredentialsRepository, GithubInstallationsRepository, GithubCredentials, GithubTokens],
})
export class GithubCredentialsModule {}
