import { Inject, Injectable } from '@nestjs/common';
import { App, Octokit } from 'octokit';
import { GITHUB_OPTIONS, GithubOptions } from './github.client';

/** The GitHub App's identity, from GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_WEBHOOK_SECRET. */
export interface GithubAppSettings {
  id: number;
  /** PEM (PKCS#1 or PKCS#8), as GitHub hands it out. */
  privateKey: string;
  webhookSecret: string;
}

export interface GithubInstallation {
  id: number;
  account: { login: string; type: string };
}

/** How long a repository's installation id is remembered (it changes only when the App is reinstalled). */
const INSTALLATION_LOOKUP_TTL_MS = 5 * 60 * 1000;

/**
 * The GitHub App (docs/contract.md#the-github-app): App JWTs and installation tokens through octokit's `App`
 * (`@octokit/auth-app`), which caches each installation token for 59 of its 60 minutes, so a
 * token is fetched again shortly before it expires. Configured only when GITHUB_APP_ID is set;
 * `configured` says so, and every other method is then unused.
 */
@Injectable()
export class GithubApp {
  private readonly app?: InstanceType<typeof App>;
  private readonly installations = new Map<string, { id: number | null; at: number }>();

  constructor(@Inject(GITHUB_OPTIONS) private readonly options: GithubOptions) {
    const settings = options.app;
    if (!settings) return;
    const GithubOctokit = Octokit.defaults({
      baseUrl: options.apiUrl.replace(/\/$/, ''),
      userAgent: 'deploy-webhooks',
      retry: { enabled: false },
      throttle: { enabled: false },
      request: { timeout: 30_000 },
    });
    this.app = new App({
      appId: settings.id,
      privateKey: settings.privateKey,
      Octokit: GithubOctokit,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  }

  get configured(): boolean {
    return this.app !== undefined;
  }

  get id(): number | undefined {
    return this.options.app?.id;
  }

  get webhookSecret(): string | undefined {
    return this.options.app?.webhookSecret;
  }

  /** An installation by id (`GET /app/installations/{id}`, App JWT), or null when GitHub has none such for this App. */
  async installation(id: number): Promise<GithubInstallation | null> {
    try {
      const { data } = await this.required().octokit.rest.apps.getInstallation({ installation_id: id });
      const account = data.account as { login?: string; slug?: string; type?: string } | null;
      return { id: data.id, account: { login: account?.login ?? account?.slug ?? '', type: account?.type ?? data.target_type } };
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw error;
    }
  }

  /** The id of the App's installation on `repository` (`GET /repos/{o}/{r}/installation`), or null; remembered a few minutes. */
  async installationFor(repository: string): Promise<number | null> {
    const key = repository.toLowerCase();
    const known = this.installations.get(key);
    if (known && Date.now() - known.at < INSTALLATION_LOOKUP_TTL_MS) return known.id;
    const [owner, repo] = repository.split('/');
    let id: number | null;
    try {
      id = (await this.required().octokit.rest.apps.getRepoInstallation({ owner, repo })).data.id;
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
      id = null;
    }
    this.installations.set(key, { id, at: Date.now() });
    return id;
  }

  /** An installation token (short-lived; cached by auth-app until a minute before it expires). */
  async installationToken(installationId: number): Promise<string> {
    const auth = (await this.required().octokit.auth({ type: 'installation', installationId })) as { token: string };
    return auth.token;
  }

  private required(): InstanceType<typeof App> {
    if (!this.app) throw new Error('No GitHub App is configured (GITHUB_APP_ID).');
    return this.app;
  }
}
