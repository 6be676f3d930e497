import { Injectable, Logger } from '@nestjs/common';
import { SecretBox } from '../secrets';
import { ANY_APP, GithubCredentialsRepository } from './credentials.repository';
import { GithubTokens } from './github-tokens';

/**
 * Which stored GitHub token the pipeline may use (seed, "auth" section):
 * - repository reads (private repositories: package.json, tarball): `tokenFor(user)` — only the
 *   unrestricted (`*`) token, because the app name is not known yet at that point (it comes
 *   from package.json);
 * - commit statuses of an app: `tokenFor(user, app)` — the token restricted to that app, else
 *   the unrestricted one. A token restricted to another app is never used.
 */
@Injectable()
export class GithubCredentials extends GithubTokens {
  private readonly logger = new Logger(GithubCredentials.name);

  constructor(private readonly repository: GithubCredentialsRepository, private readonly box: SecretBox) {
    super();
  }

  async tokenFor(user: string, app?: string): Promise<string | undefined> {
    const record = (app !== undefined && app !== ANY_APP ? await this.repository.find(user, app) : null) ?? (await this.repository.find(user, ANY_APP));
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
