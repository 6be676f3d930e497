import { Inject, Injectable } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/activity';
import { AppSecrets, AppsService } from '../apps';
import { ErrorEntry, Errors } from '../errors';
import { GithubClient, GithubError, GithubTokens } from '../github';
import type { CiGates, CiVerdict, DeploymentRef, GithubActivitiesApi, GithubDeploymentStatusState } from '../../workflows/activities';
import { judgeChecks } from './github-checks';
import { PIPELINE_SETTINGS, PipelineSettings } from './pipeline-settings';
import { hasTravisWebhook } from './travis-config';
import { Activity } from './activity';

const DEFAULT_CI = { pollIntervalMs: 30_000, queuedGraceMs: 10 * 60_000 };
const WORKFLOW_FILE = /\.ya?ml$/i;

// Called on the class: ApplicationFailure's factories use `this` (detached, they throw "this is not a constructor").
const failure = (retryable: boolean, message: string, { code }: ErrorEntry) =>
  retryable ? ApplicationFailure.retryable(message, code) : ApplicationFailure.nonRetryable(message, code);

const readFailed = (error: unknown, doing: string) =>
  failure(
    !(error instanceof GithubError) || error.retryable,
    `Could not ${doing} from GitHub: ${(error as Error).message}`,
    Errors.deployGithubReadFailed,
  );

/**
 * The deployment's GitHub side beyond the code (docs/contract.md#ci-gates, docs/contract.md#github-integration): which CI gates apply, the checks of
 * the commit, and the GitHub deployment with its statuses. Tokens: the GitHub App's installation
 * token where the user linked it, else the user's personal token (GithubTokens).
 */
@Injectable()
export class GithubActivities implements GithubActivitiesApi {
  constructor(
    private readonly github: GithubClient,
    private readonly tokens: GithubTokens,
    private readonly apps: AppsService,
    @Inject(PIPELINE_SETTINGS) private readonly settings: PipelineSettings,
  ) {}

  @Activity()
  async ciGates(ref: DeploymentRef & { app?: string }): Promise<CiGates> {
    const app = await this.appOf(ref);
    const mode = app?.record.ci ?? 'auto';
    const token = await this.tokens.tokenFor(ref.user, undefined, ref.repository);
    const pollMs = (this.settings.ci ?? DEFAULT_CI).pollIntervalMs;
    const timeoutMs = app?.record.ciTimeout ? durationMs(app.record.ciTimeout) : undefined;
    const requiredChecks = app?.record.requiredChecks?.length ? app.record.requiredChecks : undefined;

    let travis: CiGates['travis'];
    if (mode === 'travis') travis = { gated: true, reason: 'the app is configured to wait for Travis' };
    else if (mode !== 'auto') travis = { gated: false, reason: `the app is configured with ci: ${mode}` };
    else {
      const travisYml = await this.read(() => this.github.fileAt(ref.repository, '.travis.yml', ref.commit, token), 'read .travis.yml');
      travis =
        travisYml !== null && hasTravisWebhook(travisYml)
          ? { gated: true, reason: '.travis.yml has a webhook notification' }
          : { gated: false, reason: travisYml === null ? 'no .travis.yml' : '.travis.yml has no webhook notification' };
    }

    let github: CiGates['github'];
    if (mode === 'github') github = { gated: true, reason: 'the app is configured to wait for GitHub checks', requiredChecks };
    else if (mode !== 'auto') github = { gated: false, reason: `the app is configured with ci: ${mode}` };
    else if (requiredChecks) github = { gated: true, reason: `the app requires ${requiredChecks.join(', ')}`, requiredChecks };
    else {
      const workflows = (
        await this.read(() => this.github.filesIn(ref.repository, '.github/workflows', ref.commit, token), 'list .github/workflows')
      ).filter((name) => WORKFLOW_FILE.test(name));
      github =
        workflows.length > 0
          ? { gated: true, reason: `the commit has GitHub Actions workflows (${workflows.slice(0, 5).join(', ')})` }
          : { gated: false, reason: 'no GitHub Actions workflows' };
    }
    return { travis, github, timeoutMs, pollMs };
  }

  @Activity()
  async githubChecks(ref: DeploymentRef & { app?: string; requiredChecks?: string[]; waitingSince: number }): Promise<CiVerdict> {
    const token = await this.tokens.tokenFor(ref.user, ref.app, ref.repository);
    const ci = await this.read(() => this.github.ciState(ref.repository, ref.commit, token), 'read the checks');
    const { queuedGraceMs } = this.settings.ci ?? DEFAULT_CI;
    return judgeChecks(ci, {
      requiredChecks: ref.requiredChecks,
      ownAppId: this.settings.githubAppId,
      queuedGraceMs,
      waitingSince: ref.waitingSince,
      now: Date.now(),
    });
  }

  @Activity()
  async githubDeployment(ref: DeploymentRef & { app: string }): Promise<{ id: number } | null> {
    const token = await this.tokens.tokenFor(ref.user, ref.app, ref.repository);
    if (!token) return null; // no token or App allows it: GitHub deployments are a courtesy, like commit statuses
    const app = await this.apps.forName(ref.user, ref.app);
    try {
      const id = await this.github.createDeployment(
        ref.repository,
        { sha: ref.commit, environment: app?.record.environment ?? ref.app, description: `deploy-webhooks ${ref.deploymentId}` },
        token,
      );
      await this.github.createDeploymentStatus(
        ref.repository,
        id,
        { state: 'queued', description: 'Deployment queued', ...this.links(ref, app) },
        token,
      );
      return { id };
    } catch (error) {
      throw courtesyFailed(error);
    }
  }

  @Activity()
  async githubDeploymentStatus(
    ref: DeploymentRef & { app: string; githubDeployment: number; state: GithubDeploymentStatusState; description: string },
  ): Promise<void> {
    const token = await this.tokens.tokenFor(ref.user, ref.app, ref.repository);
    if (!token) return;
    const app = await this.apps.forName(ref.user, ref.app);
    try {
      await this.github.createDeploymentStatus(
        ref.repository,
        ref.githubDeployment,
        { state: ref.state, description: ref.description, ...this.links(ref, app) },
        token,
      );
    } catch (error) {
      throw courtesyFailed(error);
    }
  }

  /** `log_url`: the deployment on the status page; `environment_url`: the app's `url`. */
  private links(ref: DeploymentRef, app: AppSecrets | null): { logUrl: string; environmentUrl?: string } {
    return { logUrl: `${this.settings.publicUrl}/status-page#deployment-${ref.deploymentId}`, environmentUrl: app?.record.url };
  }

  private appOf(ref: DeploymentRef & { app?: string }): Promise<AppSecrets | null> {
    return ref.app ? this.apps.forName(ref.user, ref.app) : this.apps.forRepository(ref.user, ref.repository);
  }

  private async read<T>(call: () => Promise<T>, doing: string): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw readFailed(error, doing);
    }
  }
}

function courtesyFailed(error: unknown): ApplicationFailure {
  const retryable = error instanceof GithubError && error.retryable;
  return failure(retryable, (error as Error).message, Errors.deployGithubDeploymentStatus);
}

/** `45m`, `2h`, `90s` (AppDto checks the form). */
function durationMs(text: string): number | undefined {
  const match = /^(\d+)(s|m|h)$/.exec(text);
  return match ? Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'] : undefined;
}
