import { Injectable, Logger } from '@nestjs/common';
import { ApiError, Errors, storeCall } from '../errors';
import { GithubCredentials } from './credentials.service';
import { GithubApp } from './github-app';
import { GithubClient } from './github.client';
import { GithubInstallationsRepository } from './installations.repository';

/**
 * `POST /1/auth/github/installations` (docs/contract.md#the-github-app): links a GitHub App installation to the caller,
 * so the App's webhook routes that installation's events to the caller's apps and its tokens
 * serve them. An installation id alone proves nothing (ids are small integers), so the caller
 * proves the installation is theirs with the GitHub token they stored (POST /1/auth/github):
 * the installation's account is that GitHub user, or an organization it administers.
 */
@Injectable()
export class GithubInstallationsService {
  private readonly logger = new Logger(GithubInstallationsService.name);

  constructor(
    private readonly githubApp: GithubApp,
    private readonly github: GithubClient,
    private readonly credentials: GithubCredentials,
    private readonly installations: GithubInstallationsRepository,
  ) {}

  async link(
    user: string,
    installationId: unknown,
    uuid: string,
  ): Promise<{ user: string; installationId: number; account: { login: string; type: string } }> {
    if (!this.githubApp.configured)
      throw ApiError.of(
        Errors.authGithubNoApp,
        'This service has no GitHub App configured (GITHUB_APP_ID); authorize a personal token with POST /1/auth/github instead.',
      );
    if (typeof installationId !== 'number' || !Number.isSafeInteger(installationId) || installationId < 1) {
      throw ApiError.of(
        Errors.authGithubBadInstallation,
        'Send {"installationId": <number>}: the id GitHub shows in the installation\'s settings URL (…/settings/installations/<id>).',
      );
    }
    const token = await this.credentials.tokenFor(user);
    if (!token)
      throw ApiError.of(
        Errors.authGithubNoCredentials,
        'Authorize your GitHub account first (POST /1/auth/github with an unrestricted token): it proves the installation is yours.',
      );
    // The stored token is checked before GitHub is asked about the id, and a missing installation
    // and someone else's get one answer: no reply tells whether an id exists or whose it is
    // (docs/reliability.md#tenant-isolation-review).
    const identity = await this.github.identify(token);
    if (!identity.ok)
      throw ApiError.of(
        Errors.authGithubGithubPairingFailed,
        'GitHub no longer accepts your stored token; authorize again with POST /1/auth/github.',
      );
    const installation = await this.ask(() => this.githubApp.installation(installationId), uuid);
    const account = installation?.account;
    const yours =
      account !== undefined &&
      (account.type === 'Organization'
        ? (await this.ask(() => this.github.orgRole(account.login, token), uuid)) === 'admin'
        : account.login.toLowerCase() === identity.login.toLowerCase());
    if (!yours) {
      throw ApiError.of(
        Errors.authGithubInstallationNotFound,
        `Your GitHub account ${identity.login} has no installation ${installationId} of this service's GitHub App: the App must be installed on that account or on an organization it administers.`,
      );
    }
    const { login, type } = account;
    await storeCall(
      Errors.authGithubUpdateUserFailed,
      () => this.installations.link({ user, installationId, account: { login, type }, linkedAt: new Date(), uuid }),
      {
        logger: this.logger,
        log: `storing installation link failed (${uuid})`,
        message: 'The installation could not be linked. Try again shortly.',
      },
    );
    return { user, installationId, account: { login, type } };
  }

  private async ask<T>(call: () => Promise<T>, uuid: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.logger.error(`GitHub failed during installation linking (${uuid}): ${(error as Error).message}`);
      throw ApiError.of(Errors.authGithubGetUserFailed, 'GitHub could not be asked about the installation. Try again shortly.');
    }
  }
}
