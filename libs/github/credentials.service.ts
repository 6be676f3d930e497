import { Injectable, Logger } from '@nestjs/common';
import { SecretBox } from '../secrets';
import { ANY_APP, GithubCredentialsRepository } from './credentials.repository';
import { GithubApp } from './github-app';
import { GithubTokens } from './github-tokens';
import { GithubInstallationsRepository } from './installations.repository';

/**
 * Which stored GitHub token the pipeline may use (docs/contract.md#github-authorization):
 * - repository reads (private repositories: package.json, tarball): `tokenFor(user)` — only the
 *   unrestricted (`*`) token, because the app name is not known yet at that point (it comes
 *   from package.json);
 * - commit statuses of an app: `tokenFor(user, app)` — the token restricted to that app, else
 *   the unrestricted one. A token restricted to another app is never used.
 */
@Injectable()
export class GithubCredentials extends GithubTokens {
  private readonly logger = new Logger(GithubCredentials.name);

  constructor(
    private readonly repository: GithubCredentialsRepository,
    private readonly box: SecretBox,
    private readonly githubApp: GithubApp,
    private readonly installations: GithubInstallationsRepository,
  ) {
    super();
  }

  async tokenFor(user: string, app?: string, repository?: string): Promise<string | undefined> {
    const installationToken = repository && this.githubApp.configured ? await this.installationToken(user, repository) : undefined;
    return installationToken ?? this.personalToken(user, app);
  }

  /** The App's installation token for `repository`, when the App is installed there and `user` linked that installation. */
  private async installationToken(user: string, repository: string): Promise<string | undefined> {
    try {
      const installation = await this.githubApp.installationFor(repository);
      if (installation === null || !(await this.installations.isLinked(user, installation))) return undefined;
      return await this.githubApp.installationToken(installation);
    } catch (error) {
      // GitHub refused the App's JWT or did not answer: a personal token, if any, still serves.
      this.logger.warn(`GitHub App token for ${repository} (${user}) unavailable: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async personalToken(user: string, app?: string): Promise<string | undefined> {
    const record =
      (app !== undefined && app !== ANY_APP ? await this.repository.find(user, app) : null) ?? (await this.repository.find(user, ANY_APP));
    if (!record) return undefined;
    try {
      return this.box.open(record.sealedToken);
    } catch (error) {
      // Sealed under another ENCRYPTION_KEY, or damaged: act as if there were no token.
      this.logger.warn(`stored GitHub token of ${user} (${record.app}) cannot be opened: ${(error as Error).message}`);
      return undefined;
    }
  }
}
