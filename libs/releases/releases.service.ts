import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AppSecrets, AppsRepository, AppsService, AppView } from '../apps';
import type { Principal } from '../auth';
import { ApiError, Errors, storeCall } from '../errors';
import { GithubClient, GithubError, GithubTokens } from '../github';
import { canonicalRepository } from '../github/names';
import { releaseWorkflowId } from '../deployments/workflow-ids';
import { DeploymentStarter } from '../deployments/deployment-starter';
import { DeploymentsRepository } from '../deployments/deployments.repository';
import { checkDeployRate, DEPLOY_WINDOW_MS, QUOTAS, QuotaLimits } from '../quotas';
import type { ReleaseSource } from '../../workflows/types';
import { askedBy } from '../auth/asked-by';
import { ReleaseRecord, ReleasesRepository } from './releases.repository';

/** A release as the API shows it (docs/contract.md#releases): never where its tarball is stored. */
export type ReleaseView = Omit<ReleaseRecord, '_id' | 'user' | 'app' | 'createdAt' | 'blobId' | 'retained'> & {
  /** Its package said `retain: true` (false for releases made before this was recorded): a rollback to it is an ACTIVATE. */
  retained: boolean;
  createdAt: string;
  /** Its tarball is still in blob storage: a rollback to it needs no GitHub. */
  tarballKept: boolean;
};

/** The answer to rollback, redeploy and an env change that deploys: the new deployment, queued in the app's line. */
export interface ReleaseDeployment {
  id: string;
  workflowId: string;
  status: 'queued';
  cause: ReleaseSource['cause'];
  /** The release whose code it deploys. */
  release: number;
  rolledBackTo?: number;
  uuid: string;
}

/** The causes of explicit deployments, counted against DEPLOYS_PER_APP_PER_MINUTE. */
const EXPLICIT_CAUSES: Array<ReleaseSource['cause']> = ['redeploy', 'env', 'rollback', 'promote'];

/**
 * Releases (docs/contract.md#releases): the app's numbered history, and the explicit actions that deploy a
 * release's code again with the app's current env, through the app's line: rollback (which
 * locks the app against pushes), redeploy, and an env change that deploys.
 */
@Injectable()
export class ReleasesService {
  private readonly logger = new Logger(ReleasesService.name);

  constructor(
    private readonly releases: ReleasesRepository,
    private readonly apps: AppsService,
    private readonly appsRepository: AppsRepository,
    private readonly deployments: DeploymentsRepository,
    private readonly starter: DeploymentStarter,
    private readonly github: GithubClient,
    private readonly tokens: GithubTokens,
    @Optional() @Inject(QUOTAS) private readonly quotas?: QuotaLimits,
  ) {}

  async list(user: string, app: string, limit: number, skip: number): Promise<ReleaseView[]> {
    await this.app(user, app);
    return (await this.db(() => this.releases.list(user, app, limit, skip))).map(view);
  }

  /** Rollback and the lock (docs/contract.md#rollback-and-the-lock): release `version` (default: the one before the live one) again, as a new release; the app locks. */
  async rollback(principal: Principal, user: string, app: string, version: number | undefined, uuid: string): Promise<ReleaseDeployment> {
    const config = await this.app(user, app);
    const live = await this.db(() => this.releases.live(user, app));
    let release: ReleaseRecord | null;
    if (version !== undefined) release = await this.db(() => this.releases.find(user, app, version));
    else if (!live)
      throw ApiError.of(Errors.appsReleaseNotFound, `${app} has no live release to roll back from; name the release: {"release": N}.`);
    else release = await this.db(() => this.releases.before(user, app, live.version));
    if (!release) {
      throw ApiError.of(
        Errors.appsReleaseNotFound,
        version !== undefined ? `${app} has no release v${version}.` : `${app} has no release before the live v${live!.version}.`,
      );
    }
    await this.checkAvailable(user, release);
    return this.deploy(principal, config, release, 'rollback', uuid);
  }

  /**
   * The automatic rollback after a failed bake (docs/contract.md#verified-releases): the release
   * live before `failed` again, as a new release (`cause: auto-rollback`), through the same path
   * as a manual rollback, so the app locks the same way. Keyed by the failed deployment: asked
   * again (a worker that died after starting it), it answers the same rollback. `nothing`: no
   * release to roll back to (a first deployment), and why.
   */
  async autoRollback(user: string, app: string, failed: string): Promise<ReleaseDeployment | { nothing: string }> {
    const config = await this.app(user, app);
    let release = await this.db(() => this.releases.live(user, app));
    if (release?.deployment === failed) release = await this.db(() => this.releases.before(user, app, release!.version));
    if (!release) return { nothing: `${app} had no release live before this deployment; it stays as it is.` };
    await this.checkAvailable(user, release);
    const principal = { user, admin: false, via: 'password' as const };
    return this.deploy(principal, config, release, 'auto-rollback', `auto-rollback-of-${failed}`, 'health-check');
  }

  /** Redeploy and env changes (docs/contract.md#redeploy-and-env-changes): the live release's code again with the current env. */
  async redeploy(
    principal: Principal,
    user: string,
    app: string,
    uuid: string,
    cause: 'redeploy' | 'env' = 'redeploy',
  ): Promise<ReleaseDeployment> {
    const config = await this.app(user, app);
    const live = await this.liveRelease(user, app);
    await this.checkAvailable(user, live);
    return this.deploy(principal, config, live, cause, uuid);
  }

  /** PATCH …/env, and with `deploy: true` a release of the live code with the new env (cause `env`). */
  async changeEnv(
    principal: Principal,
    user: string,
    app: string,
    change: { set?: Record<string, string>; unset?: string[]; deploy?: boolean },
    uuid: string,
  ): Promise<AppView & { deployment?: ReleaseDeployment }> {
    // Checked first, so an env change that cannot deploy changes nothing.
    if (change.deploy) {
      await this.checkAvailable(user, await this.liveRelease(user, app));
      await this.checkRate(user, app);
    }
    const changed = await this.apps.patchEnv(user, app, { set: change.set, unset: change.unset }, uuid);
    if (!change.deploy) return changed;
    return { ...changed, deployment: await this.redeploy(principal, user, app, uuid, 'env') };
  }

  /**
   * Promotion (docs/contract.md#promotion): the live release of `app` deployed to `to`, another app of the same repository, through
   * `to`'s line as its next release (`cause: promote`), from the kept tarball when there is one.
   */
  async promote(principal: Principal, user: string, app: string, to: string, uuid: string): Promise<ReleaseDeployment> {
    const source = await this.app(user, app);
    const target = await this.app(user, to);
    if (to === app)
      throw ApiError.of(Errors.appsPromoteSameApp, `${app} cannot be promoted to itself; name another app of ${source.record.repository}.`);
    if (canonicalRepository(source.record.repository) !== canonicalRepository(target.record.repository)) {
      throw ApiError.of(
        Errors.appsPromoteOtherRepository,
        `${to} deploys ${target.record.repository}, not ${source.record.repository}: promotion moves a release between apps of one repository.`,
      );
    }
    const live = await this.liveRelease(user, app);
    await this.checkAvailable(user, live);
    return this.deploy(principal, target, live, 'promote', uuid);
  }

  /**
   * A release pipeline's promotion (docs/contract.md#release-pipelines): release `version` of
   * `source` to `to` (`cause: pipeline`), keyed by `key`, so an activity asked again meets the same
   * deployment. The run's own action: not counted against the per-app rate. Access and the
   * repository are the pipeline's checks, made when it was stored and when the run started.
   */
  async promoteRelease(user: string, source: string, version: number, to: string, key: string, by: string): Promise<ReleaseDeployment> {
    const target = await this.app(user, to);
    const release = await this.db(() => this.releases.find(user, source, version));
    if (!release) throw ApiError.of(Errors.appsReleaseNotFound, `${source} has no release v${version}.`);
    await this.checkAvailable(user, release);
    return this.deploy({ user, admin: false, via: 'password' }, target, release, 'pipeline', key, by, { own: true });
  }

  /**
   * A release pipeline's compensation (docs/contract.md#release-pipelines): `app` back to its own
   * release `version`, as a rollback (`cause: rollback`, ACTIVATE where the receiver retains it),
   * keyed by `key`; unlike a manual rollback it does not lock the app, which is left as it was
   * before the run, and it is not counted against the per-app rate.
   */
  async restoreRelease(user: string, app: string, version: number, key: string, by: string): Promise<ReleaseDeployment> {
    const config = await this.app(user, app);
    const release = await this.db(() => this.releases.find(user, app, version));
    if (!release) throw ApiError.of(Errors.appsReleaseNotFound, `${app} has no release v${version}.`);
    await this.checkAvailable(user, release);
    return this.deploy({ user, admin: false, via: 'password' }, config, release, 'rollback', key, by, { own: true });
  }

  async unlock(user: string, app: string): Promise<AppView> {
    await this.app(user, app);
    await this.db(() => this.appsRepository.unlock(user, app));
    this.logger.log({ msg: `${user}/${app} unlocked: pushes deploy again`, app });
    return this.apps.get(user, app);
  }

  private async deploy(
    principal: Principal,
    config: AppSecrets,
    release: ReleaseRecord,
    cause: ReleaseSource['cause'],
    uuid: string,
    asker?: string,
    // `own`: a release pipeline's action (docs/contract.md#release-pipelines): no rate, no lock.
    { own = false }: { own?: boolean } = {},
  ): Promise<ReleaseDeployment> {
    const { user, name: app } = config.record;
    // An automatic rollback is the service's own action, never refused for the user's rate.
    if (cause !== 'auto-rollback' && !own) await this.checkRate(user, app);
    const workflowId = releaseWorkflowId(user, app, cause, uuid);
    const rolledBackTo = cause === 'rollback' || cause === 'auto-rollback' ? release.version : undefined;
    const by = asker ?? askedBy(principal);
    const { record, created } = await this.db(() =>
      this.starter.record(cause, {
        workflowId,
        user,
        repository: release.repository,
        commit: release.commit,
        branch: config.record.branch,
        app,
        provider: 'api',
        uuid,
        cause,
        by,
        ...(rolledBackTo !== undefined ? { rolledBackTo } : {}),
        ...(release.blobId ? { releaseBlob: release.blobId } : {}),
      }),
    );
    // Locked before it starts, so no push slips in behind the rollback.
    if (rolledBackTo !== undefined && !own)
      await this.db(() => this.appsRepository.lock(user, app, { release: rolledBackTo, deployment: record._id, by, at: new Date() }));
    // The record names the kept tarball before this read: a prune that did not see it has dropped
    // the release's blobId by now (then the code is fetched from GitHub again); one that did see it keeps the tarball.
    // `release.app`: a promotion deploys another app's release.
    const stillKept =
      release.blobId !== undefined &&
      (await this.db(() => this.releases.find(user, release.app, release.version)))?.blobId === release.blobId;
    if (release.blobId && !stillKept) await this.checkAvailable(user, { ...release, blobId: undefined });
    const activates = rolledBackTo !== undefined ? retainedFiles(release) : undefined;
    try {
      await this.starter.start(record, {
        push: { payloadId: cause, branch: config.record.branch ?? '', app },
        release: {
          cause,
          version: release.version,
          package: { name: app, version: release.appVersion },
          ...(stillKept ? { blobId: release.blobId } : {}),
          ...(activates ? { activates } : {}),
        },
      });
    } catch (error) {
      if (created && rolledBackTo !== undefined && !own) await this.appsRepository.unlock(user, app, record._id).catch(() => undefined);
      throw error;
    }
    this.logger.log({
      msg: `${cause} of ${user}/${app} to the code of v${release.version} (${release.commit.slice(0, 7)}) as ${record._id} (${uuid})`,
      deploymentId: record._id,
      workflowId,
    });
    return {
      id: record._id,
      workflowId,
      status: 'queued',
      cause,
      release: release.version,
      ...(rolledBackTo !== undefined ? { rolledBackTo } : {}),
      uuid,
    };
  }

  /**
   * Every explicit deployment (any cause) starts a whole pipeline at the app's target: at most
   * DEPLOYS_PER_APP_PER_MINUTE per app, counted from the records, so every gateway sees the same
   * count (docs/reliability.md#tenant-isolation-review). Pushes are not counted: they come from GitHub.
   */
  private async checkRate(user: string, app: string): Promise<void> {
    if (!this.quotas) return;
    const since = new Date(Date.now() - DEPLOY_WINDOW_MS);
    checkDeployRate(user, app, await this.db(() => this.deployments.countCausedSince(user, app, EXPLICIT_CAUSES, since)), this.quotas);
  }

  /** A release whose tarball was pruned is fetched from GitHub again: refused up front when GitHub no longer has its commit. */
  private async checkAvailable(user: string, release: ReleaseRecord): Promise<void> {
    if (release.blobId) return;
    let packageJson: string | null;
    try {
      packageJson = await this.github.fileAt(release.repository, 'package.json', release.commit, await this.tokens.tokenFor(user));
    } catch (error) {
      if (error instanceof GithubError && !error.retryable) packageJson = null;
      else
        throw ApiError.of(
          Errors.deployGithubReadFailed,
          `GitHub could not be asked for ${release.repository}@${release.commit.slice(0, 7)} (${(error as Error).message}); try again shortly.`,
        );
    }
    if (packageJson === null) {
      throw ApiError.of(
        Errors.appsReleaseUnavailable,
        `The code of release v${release.version} (${release.repository}@${release.commit.slice(0, 7)}) can no longer be had: its tarball is no longer kept and GitHub does not have the commit.`,
      );
    }
  }

  private async liveRelease(user: string, app: string): Promise<ReleaseRecord> {
    const live = await this.db(() => this.releases.live(user, app));
    if (!live)
      throw ApiError.of(Errors.appsReleaseNotFound, `${app} has no live release; a push (or a rollback to a release) deploys it first.`);
    return live;
  }

  private async app(user: string, app: string): Promise<AppSecrets> {
    const config = await storeCall(Errors.appsDbFailed, () => this.apps.forName(user, app));
    if (!config) throw ApiError.of(Errors.appsNotFound, `${user} has no app named ${app}.`);
    return config;
  }

  private db<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.appsDbFailed, operation, { message: 'The release store is not reachable right now. Try again shortly.' });
  }
}

/**
 * A rollback (manual or automatic) of a release whose package said `retain: true` activates its
 * files where the receiver kept them: the `_doc` of the DEPLOY that carried them
 * (docs/contract.md#activate). Releases made before the service recorded it are uploaded.
 */
function retainedFiles(release: ReleaseRecord): string | undefined {
  return release.retained ? (release.receiverRelease ?? release.deployment) : undefined;
}

function view(r: ReleaseRecord): ReleaseView {
  return {
    version: r.version,
    deployment: r.deployment,
    repository: r.repository,
    commit: r.commit,
    appVersion: r.appVersion,
    envDigest: r.envDigest,
    cause: r.cause,
    by: r.by,
    createdAt: r.createdAt.toISOString(),
    live: r.live,
    ...(r.rolledBackTo !== undefined ? { rolledBackTo: r.rolledBackTo } : {}),
    tarballKept: r.blobId !== undefined,
    retained: r.retained ?? false,
    ...(r.receiverRelease !== undefined ? { receiverRelease: r.receiverRelease } : {}),
    ...(r.delivered !== undefined ? { delivered: r.delivered } : {}),
  };
}
