import { Injectable, Logger } from '@nestjs/common';
import { ApiError, Errors, storeCall } from '../errors';
import { SecretBox } from '../secrets';
import { ANY_APP, GithubCredentialsRepository } from './credentials.repository';
import { GithubClient } from './github.client';

// GitHub tokens are well under 255 characters; a longer one is refused here, not sent to GitHub.
const CREDENTIALS = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})):(\S{1,255})$/;

/** `POST /1/auth/github` (docs/contract.md#github-authorization): verify a GitHub token with GitHub, then store it sealed. */
@Injectable()
export class GithubAuthService {
  private readonly logger = new Logger(GithubAuthService.name);

  constructor(
    private readonly github: GithubClient,
    private readonly repository: GithubCredentialsRepository,
    private readonly box: SecretBox,
  ) {}

  async authorize(
    user: string,
    credentials: unknown,
    app: string | undefined,
    uuid: string,
  ): Promise<{ user: string; app: string; github: string }> {
    if (credentials === undefined || credentials === null || credentials === '') {
      throw ApiError.of(Errors.authGithubNoCredentials);
    }
    const match = typeof credentials === 'string' ? CREDENTIALS.exec(credentials) : null;
    if (!match)
      throw ApiError.of(
        Errors.authGithubBadCredentials,
        'credentials must be "githubUser:githubToken" (a GitHub login, a colon, a personal access token).',
      );
    const [, login, token] = match;

    const identity = await this.github.identify(token);
    if (!identity.ok && identity.rejected) {
      throw ApiError.of(Errors.authGithubGithubPairingFailed, `GitHub did not accept that token (HTTP ${identity.status}).`);
    }
    if (!identity.ok) {
      this.logger.error(`GitHub GET /user failed (${uuid}): ${identity.status ?? 'no answer'} ${identity.message}`);
      throw ApiError.of(Errors.authGithubGetUserFailed, 'GitHub could not be asked who owns that token. Try again shortly.');
    }
    if (identity.login.toLowerCase() !== login.toLowerCase()) {
      throw ApiError.of(Errors.authGithubGithubPairingFailed, `That token belongs to GitHub user ${identity.login}, not ${login}.`);
    }

    const scope = app ?? ANY_APP;
    await storeCall(
      Errors.authGithubUpdateUserFailed,
      () =>
        this.repository.save({ user, app: scope, login: identity.login, sealedToken: this.box.seal(token), updatedAt: new Date(), uuid }),
      {
        logger: this.logger,
        log: `storing the GitHub token failed (${uuid})`,
      },
    );
    return { user, app: scope, github: identity.login };
  }
}
