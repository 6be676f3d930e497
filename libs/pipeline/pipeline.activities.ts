import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  AppSecrets,
  AppsRepository,
  AppsService,
  approvalRuleFor,
  DefaultTargetNames,
  healthCheckPlan,
  heldByWindows,
  windowCheck,
} from '../apps';
import { ErrorEntry, errorByCode, Errors } from '../errors';
import { GithubClient, GithubError, GithubTokens } from '../github';
import { ReleaseKeeping } from './release-keeping';
import { BlobStore, inspectTarball, TarballRejected } from '../tarballs';
import { DeploymentPackage, DeploymentTarget, reachesTarget, TargetClient, TargetError } from '../targets';
import type {
  ActivateAnswer,
  DeploymentActivitiesApi,
  DeploymentEnd,
  DeploymentRef,
  FetchedTarball,
  ResolvedApp,
  ResolvedPackage,
  TargetStatus,
  WindowActivitiesApi,
} from '../../workflows/activities';
import type { ReleaseCause, WindowCheck } from '../../workflows/types';
import { DeploymentRecord, DeploymentsRepository } from '../deployments/deployments.repository';
import { PIPELINE_SETTINGS, PipelineSettings } from './pipeline-settings';
import { hasTravisWebhook } from './travis-config';
import { Activity } from './activity';

const MAX_RECORDS = 100;
/** Well inside the workflow's 10 s heartbeat timeout for long activities. */
const HEARTBEAT_MS = 2_000;

const failure = ({ code }: ErrorEntry, message: string, retryable: boolean) =>
  retryable ? ApplicationFailure.retryable(message, code) : ApplicationFailure.nonRetryable(message, code);

/**
 * The deployment's steps that touch the world (docs/contract.md#the-deployment-workflow): GitHub, blob storage, the target.
 * Each failure is an ApplicationFailure whose type is the catalogue's error code (docs/errors.md); `nonRetryable`
 * says whether trying again could help.
 */
@Injectable()
export class PipelineActivities implements Omit<DeploymentActivitiesApi, 'recordStatus'> {
  private readonly logger = new Logger('Pipeline');

  constructor(
    private readonly github: GithubClient,
    private readonly tokens: GithubTokens,
    private readonly blobs: BlobStore,
    private readonly targets: TargetClient,
    private readonly apps: AppsService,
    private readonly appsRepository: AppsRepository,
    private readonly deployments: DeploymentsRepository,
    private readonly defaultTargetNames: DefaultTargetNames,
    private readonly releases: ReleaseKeeping,
    @Inject(PIPELINE_SETTINGS) private readonly settings: PipelineSettings,
  ) {}

  @Activity()
  async ciGate(ref: DeploymentRef & { app?: string }): Promise<{ gated: boolean; reason: string }> {
    const app = await this.appFor(ref.user, ref.repository, ref.app);
    if (app?.record.ci === 'travis') return { gated: true, reason: 'the app is configured to wait for Travis' };
    if (app?.record.ci === 'none') return { gated: false, reason: 'the app is configured not to wait for CI' };
    const travisYml = await this.readFile(ref, '.travis.yml', Errors.deployGithubReadFailed);
    if (travisYml !== null && hasTravisWebhook(travisYml)) return { gated: true, reason: '.travis.yml has a webhook notification' };
    return { gated: false, reason: travisYml === null ? 'no .travis.yml' : '.travis.yml has no webhook notification' };
  }

  @Activity()
  async resolvePackage(ref: DeploymentRef): Promise<ResolvedPackage> {
    const text = await this.readFile(ref, 'package.json', Errors.deployGithubNoPkgJson);
    if (text === null) {
      throw failure(
        Errors.deployGithubNoPkgJson,
        `No package.json in ${ref.repository}@${ref.commit.slice(0, 7)}; for a private repository, authorize GitHub access (POST /1/auth/github without ?app).`,
        false,
      );
    }
    let pkg: { name?: unknown; version?: unknown; engines?: unknown };
    try {
      pkg = JSON.parse(text) as typeof pkg;
    } catch {
      throw failure(Errors.deployGithubNoPkgJson, `package.json in ${ref.repository}@${ref.commit.slice(0, 7)} is not valid JSON.`, false);
    }
    if (typeof pkg.name !== 'string' || pkg.name === '') throw failure(Errors.deployGithubNoPkgJson, 'package.json has no name.', false);
    return {
      name: pkg.name.replace(/^@[^/]+\//, ''),
      version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
      engines: pkg.engines && typeof pkg.engines === 'object' ? (pkg.engines as Record<string, string>) : undefined,
    };
  }

  @Activity()
  async resolveApp(ref: DeploymentRef & { appHint?: string; packageName: string; claimName?: boolean }): Promise<ResolvedApp> {
    const app = await this.appFor(ref.user, ref.repository, ref.appHint, ref.packageName);
    const name = app?.record.name ?? ref.packageName;
    const target = app?.target ?? this.settings.defaultTarget;
    // Early, so a taken name fails before the download; uploadPackage checks again before sending.
    if (ref.claimName !== false && (await this.onSharedTarget(app))) await this.claim(name, ref.user);
    await this.deployments.setApp(ref.deploymentId, name);
    const resolved = {
      app: name,
      hasTarget: target !== undefined,
      polls: target?.statusUrl !== undefined,
      retain: app?.record.retain ?? false,
      // The bake's settings reach the workflow with the app they belong to (docs/contract.md#verified-releases).
      ...(app?.record.healthCheck ? { healthCheck: healthCheckPlan(app.record.healthCheck) } : {}),
    };
    return { ...resolved, ...(await this.holdsOf(ref, app)) };
  }

  /**
   * The approval rule and deploy windows that hold this deployment (docs/contract.md#approvals);
   * none for an app without them (the workflow then asks Temporal for nothing new).
   */
  private async holdsOf(ref: DeploymentRef, app: AppSecrets | null): Promise<Pick<ResolvedApp, 'approval' | 'windowed'>> {
    const holds = app?.record;
    if (!holds || (!holds.approval && !holds.windows?.length && !holds.freezes?.length)) return {};
    const record = await this.deployments.findById(ref.deploymentId);
    const cause = {
      user: ref.user,
      provider: record?.provider ?? 'github',
      cause: record?.cause,
      retryOf: record?.retryOf,
      by: record?.by,
    };
    const approval = approvalRuleFor(holds, cause);
    return { ...(approval && { approval }), ...(heldByWindows(holds, cause) && { windowed: true }) };
  }

  /** Whether the app's deploy windows and freezes, read now, allow deploying at `at` (docs/contract.md#deploy-windows-and-freezes). */
  @Activity()
  async deployWindow(input: Parameters<WindowActivitiesApi['deployWindow']>[0]): Promise<WindowCheck> {
    const app = await this.apps.forName(input.user, input.app);
    return windowCheck(app?.record.windows ?? [], app?.record.freezes ?? [], new Date(input.at));
  }

  @Activity()
  async fetchTarball(ref: DeploymentRef): Promise<FetchedTarball> {
    const context = Context.current();
    const canceled = context.cancellationSignal;
    // On a timer, not as bytes arrive: GitHub may take longer than the heartbeat timeout to send
    // a large tarball's first byte, and a heartbeat is how a cancellation reaches the activity.
    let bytes = 0;
    const heartbeat = setInterval(() => context.heartbeat({ bytes }), HEARTBEAT_MS);
    try {
      const token = await this.tokens.tokenFor(ref.user, undefined, ref.repository);
      const source = await this.github.tarball(ref.repository, ref.commit, token, canceled);
      // A connection cut before the blob store starts reading would emit 'error' with no listener
      // (an uncaught exception: the worker process ends); put() still rejects with it.
      source.on('error', () => undefined);
      canceled.addEventListener('abort', () => source.destroy(new Error('canceled')));
      const stored = await this.blobs.put(ref.deploymentId, source, (sofar) => (bytes = sofar));
      // Canceled as the last bytes landed: the workflow has moved on and will not remove it.
      if (canceled.aborted) await this.blobs.remove(stored.id);
      canceled.throwIfAborted();
      return { blobId: stored.id, bytes: stored.bytes, sha256: stored.sha256 };
    } catch (error) {
      const retryable = !(error instanceof GithubError) || error.retryable;
      throw failure(
        Errors.deployGithubDownloadTarball,
        `Could not download the tarball of ${ref.repository}@${ref.commit.slice(0, 7)}: ${(error as Error).message}`,
        retryable,
      );
    } finally {
      clearInterval(heartbeat);
    }
  }

  @Activity()
  async inspectTarball(input: { blobId: string }): Promise<{ entries: number; bytes: number }> {
    const context = Context.current();
    const canceled = context.cancellationSignal;
    // A 2 GiB tarball takes a while: heartbeats say the worker lives and bring a cancellation in.
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
    try {
      return await inspectTarball(this.blobs.open(input.blobId), this.settings.tar, canceled);
    } catch (error) {
      if (canceled.aborted) throw canceled.reason;
      if (error instanceof TarballRejected) throw failure(errorByCode(error.code), error.message, false);
      throw failure(Errors.deployTarCorrupt, `The tarball could not be read: ${(error as Error).message}`, true);
    } finally {
      clearInterval(heartbeat);
    }
  }

  @Activity()
  async liveDeployment(ref: DeploymentRef & { app: string }): Promise<{ deployment?: string; commit: string }> {
    const app = await this.apps.forName(ref.user, ref.app);
    const deployment = app?.record.lastDeployment;
    const commit = (deployment && (await this.deployments.findById(deployment))?.commit) || 'none';
    await this.deployments.setCommit(ref.deploymentId, commit);
    return { deployment, commit };
  }

  @Activity()
  async uploadPackage(ref: Parameters<DeploymentActivitiesApi['uploadPackage']>[0]): Promise<{ remoteId: string; nothingToDo?: string }> {
    const context = Context.current();
    const app = await this.apps.forName(ref.user, ref.app);
    const target = this.targetOf(app);
    // The app as it is now (its target may have changed since resolve): on the shared default
    // target only the name's owner deploys or undeploys it.
    if (await this.onSharedTarget(app)) {
      const owner = await this.defaultTargetNames.owner(ref.app);
      // Deployed before names were claimed: the app that records a deployment may claim it now.
      const unclaimedButDeployed = owner === undefined && app?.record.lastDeployment !== undefined;
      if (ref.operation === 'DEPLOY' || unclaimedButDeployed) await this.claim(ref.app, ref.user);
      else if (owner !== ref.user) {
        return {
          remoteId: '',
          nothingToDo: `Nothing of ${ref.user}'s named ${ref.app} is on the shared default target; nothing to remove there.`,
        };
      }
    }
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
    try {
      const blobId = ref.blobId;
      // The package's `_doc`: the deployment id, or another after a refused ACTIVATE took it (docs/contract.md#activate).
      const doc = ref.packageDoc ?? ref.deploymentId;
      const archives = ref.operation === 'DEPLOY' && blobId ? [{ id: doc, open: () => this.blobs.open(blobId) }] : [];
      const undeploys = ref.undeploys ?? ref.deploymentId;
      const env = app?.env ?? {};
      const retain = app?.record.retain ?? false;
      if (ref.operation === 'DEPLOY')
        await this.deployments.setDelivered(ref.deploymentId, {
          packageVersion: ref.version,
          envDigest: this.releases.envDigest(env),
          delivered: { how: 'upload', retained: retain, receiverRelease: doc },
        });
      const pkg = {
        _doc: doc,
        operation: ref.operation,
        retain,
        app: { name: ref.app, version: ref.version },
        commit: ref.commit,
        repository: ref.repository,
        env,
        records:
          ref.operation === 'UNDEPLOY'
            ? [{ _doc: undeploys, operation: ref.operation, ref: undeploys }]
            : [
                {
                  _doc: doc,
                  operation: ref.operation,
                  ref: `${ref.repository}@${ref.commit}`,
                  archive: `archive-${doc}`,
                },
              ],
      };
      return await this.targets.push(target, pkg, archives, { signal: context.cancellationSignal });
    } catch (error) {
      const retryable = error instanceof TargetError ? error.retryable : true;
      throw failure(Errors.deployReceiverUploadTarball, `Upload to the deployment target failed: ${(error as Error).message}`, retryable);
    } finally {
      clearInterval(heartbeat);
    }
  }

  @Activity()
  async pollTarget(input: { user: string; app: string; remoteId: string }): Promise<TargetStatus> {
    const target = this.targetOf(await this.apps.forName(input.user, input.app));
    try {
      const status = await this.targets.status(target, input.remoteId, { signal: Context.current().cancellationSignal });
      // Every poll's answer lands in workflow history: keep it small whatever the receiver sends.
      const records = status.records
        .slice(0, MAX_RECORDS)
        .map((r) => ({ ref: r.ref.slice(0, 200), state: r.state, message: r.message?.slice(0, 500), success: r.success }));
      return { state: status.state, records };
    } catch (error) {
      const retryable = error instanceof TargetError ? error.retryable : true;
      throw failure(
        Errors.deployReceiverStartApp,
        `Reading the deployment's status from the target failed: ${(error as Error).message}`,
        retryable,
      );
    }
  }

  @Activity()
  async commitStatus(
    ref: DeploymentRef & { app?: string; state: 'pending' | 'success' | 'failure' | 'error'; description: string },
  ): Promise<void> {
    const token = await this.tokens.tokenFor(ref.user, ref.app, ref.repository);
    if (!token) return; // no token that allows it: commit statuses are a courtesy
    try {
      await this.github.setCommitStatus(
        ref.repository,
        ref.commit,
        {
          state: ref.state,
          description: ref.description,
          targetUrl: `${this.settings.publicUrl}/1/deployments/${ref.deploymentId}`,
        },
        token,
      );
    } catch (error) {
      const retryable = error instanceof GithubError && error.retryable;
      throw failure(Errors.deployGithubCommitStatus, (error as Error).message, retryable);
    }
  }

  @Activity()
  async finishDeployment(ref: DeploymentEnd): Promise<void> {
    if (ref.app && ref.state === 'succeeded') {
      if (ref.operation !== 'UNDEPLOY') {
        await this.appsRepository.setLastDeployment(ref.user, ref.app, ref.deploymentId);
        await this.makeRelease(ref as DeploymentRef & { app: string; blobId?: string });
      } else {
        await this.releases.undeployed(ref.user, ref.app);
      }
      if (ref.operation === 'UNDEPLOY' && ref.removeApp) {
        // Only the app as it was when its removal was asked (a PUT since then, or an app
        // re-created under the name, stays): also what makes a replay of this step harmless.
        await this.appsRepository.remove(ref.user, ref.app, ref.appVersion);
        if (await this.appsRepository.find(ref.user, ref.app))
          this.logger.warn(`${ref.user}/${ref.app} changed after its removal was asked (${ref.deploymentId}); its configuration stays.`);
        else await this.defaultTargetNames.release(ref.app, ref.user);
      }
    }
    // A release keeps its tarball (RELEASES_KEPT); any other is removed.
    if (ref.blobId) await this.releases.freeTarball(ref.blobId, ref.deploymentId);
  }

  /**
   * A rollback by ACTIVATE (docs/contract.md#activate): the package naming the retained release
   * pushed without an archive; `refused` when the receiver does not know the operation.
   */
  @Activity()
  async activateRelease(ref: DeploymentRef & { app: string; version: string; activates: string }): Promise<ActivateAnswer> {
    const app = await this.apps.forName(ref.user, ref.app);
    const target = this.targetOf(app);
    // On the shared default target only the name's owner deploys it (as uploadPackage).
    if (await this.onSharedTarget(app)) await this.claim(ref.app, ref.user);
    const env = app?.env ?? {};
    await this.deployments.setDelivered(ref.deploymentId, {
      packageVersion: ref.version,
      envDigest: this.releases.envDigest(env),
      delivered: { how: 'activate', retained: true, receiverRelease: ref.activates },
    });
    const pkg: DeploymentPackage = {
      _doc: ref.deploymentId,
      operation: 'ACTIVATE',
      retain: true,
      activates: ref.activates,
      app: { name: ref.app, version: ref.version },
      commit: ref.commit,
      repository: ref.repository,
      env,
      records: [{ _doc: ref.deploymentId, operation: 'ACTIVATE', ref: ref.activates }],
    };
    try {
      const answer = await this.targets.activate(target, pkg, { signal: Context.current().cancellationSignal });
      if ('refused' in answer) {
        this.logger.warn(`${ref.user}/${ref.app}: ${answer.refused}; ${ref.deploymentId} uploads the release instead`);
        return { refused: answer.refused };
      }
      return { remoteId: answer.remoteId };
    } catch (error) {
      const retryable = error instanceof TargetError ? error.retryable : true;
      throw failure(Errors.deployReceiverUploadTarball, `ACTIVATE at the deployment target failed: ${(error as Error).message}`, retryable);
    }
  }

  /** Releases (docs/contract.md#releases): the succeeded deployment becomes the app's next release, live; the record links it. */
  private async makeRelease(ref: DeploymentRef & { app: string; blobId?: string }): Promise<void> {
    const record = await this.deployments.findById(ref.deploymentId);
    if (!record) return;
    const release = await this.releases.succeeded({
      deployment: record._id,
      user: record.user,
      app: ref.app,
      repository: record.repository,
      commit: record.commit,
      appVersion: record.packageVersion ?? '0.0.0',
      envDigest: record.envDigest ?? this.releases.envDigest({}),
      cause: causeOf(record),
      by: record.by ?? `webhook:${record.provider === 'travis' ? 'travis' : 'github'}`,
      rolledBackTo: record.rolledBackTo,
      blobId: ref.blobId,
      ...(record.delivered
        ? { retained: record.delivered.retained, receiverRelease: record.delivered.receiverRelease, delivered: record.delivered.how }
        : {}),
    });
    if (record.release !== release.version) await this.deployments.setRelease(record._id, release.version);
  }

  private async claim(name: string, user: string): Promise<void> {
    if ((await this.defaultTargetNames.claim(name, user)) === user) return;
    throw failure(
      Errors.deployAppNameTaken,
      `The app name ${name} on the shared default target belongs to another user; rename the package (or the app), or give the app a target of its own.`,
      false,
    );
  }

  /**
   * Whether the app deploys to the shared default target: it has no target of its own, or its
   * own target reaches the default one under another spelling (`PUT /1/apps` refuses that, but
   * a name may resolve elsewhere since, or the app predates the rule) — naming the default
   * receiver must not skip the name's ownership. A statusUrl there with a url elsewhere would
   * poll the shared receiver with an id of the app's own receiver's choosing (another tenant's
   * package status): refused.
   */
  private async onSharedTarget(app: AppSecrets | null): Promise<boolean> {
    const shared = this.settings.defaultTarget;
    if (!shared) return false;
    if (!app?.target) return true;
    // By what the hosts resolve and connect to, not by spelling (libs/targets/addresses.ts).
    if (await reachesTarget(app.target.url, shared)) return true;
    if (app.target.statusUrl && (await reachesTarget(app.target.statusUrl, shared))) {
      throw failure(
        Errors.deployReceiverUploadTarball,
        "The app's target.statusUrl reaches the shared default target while its url does not; give it the statusUrl of its own receiver (PUT /1/apps/:user/:app).",
        false,
      );
    }
    return false;
  }

  private targetOf(app: AppSecrets | null): DeploymentTarget {
    const target = app?.target ?? this.settings.defaultTarget;
    if (!target)
      throw failure(Errors.deployReceiverUploadTarball, 'The app has no deployment target; set one with PUT /1/apps/:user/:app.', false);
    return target;
  }

  /**
   * The app a deployment belongs to: the one the push or the operator named, else the one
   * configured for the repository, else an app named like the package — but only one configured
   * for this same repository: another repository's push must never borrow an app's target, env
   * or name (its webhook secret was checked against the repository, not the package name).
   */
  private async appFor(user: string, repository: string, appHint?: string, packageName?: string): Promise<AppSecrets | null> {
    if (appHint) return this.apps.forName(user, appHint);
    const byRepository = await this.apps.forRepository(user, repository);
    if (byRepository || !packageName) return byRepository;
    const byName = await this.apps.forName(user, packageName);
    if (byName && byName.record.repository.toLowerCase() !== repository.toLowerCase()) {
      throw failure(
        Errors.deployAppOtherRepository,
        `package.json names the app ${packageName}, which is configured for ${byName.record.repository}, not ${repository}; rename the package or point the app at this repository.`,
        false,
      );
    }
    return byName;
  }

  private async readFile(ref: DeploymentRef, path: string, failed: ErrorEntry): Promise<string | null> {
    try {
      return await this.github.fileAt(ref.repository, path, ref.commit, await this.tokens.tokenFor(ref.user, undefined, ref.repository));
    } catch (error) {
      this.logger.warn(`${path} of ${ref.repository}@${ref.commit.slice(0, 7)}: ${(error as Error).message}`);
      throw failure(
        failed,
        `Could not read ${path} from GitHub: ${(error as Error).message}`,
        !(error instanceof GithubError) || error.retryable,
      );
    }
  }
}

/** A deployment's cause: the explicit action's, else what started it. */
function causeOf(record: DeploymentRecord): ReleaseCause {
  if (record.cause) return record.cause;
  if (record.retryOf) return 'retry';
  return record.provider === 'travis' ? 'travis' : 'push';
}
