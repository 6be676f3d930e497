import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppSecrets, AppsService } from '../apps';
import { GithubClient, GithubTokens } from '../github';
import { ApiError, Errors, storeCall } from '../errors';
import { IntakeProvider, recordIntake, recordIntakeError } from '../metrics';
import type { Provider } from '../../workflows/types';
import { appDeploymentWorkflowId, deploymentId, deploymentWorkflowId } from '../deployments/workflow-ids';
import { DeploymentKind, DeploymentStarter, NewDeployment } from '../deployments/deployment-starter';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { DeploymentRecord, DeploymentsRepository, hasEnded } from '../deployments/deployments.repository';
import { PreviewAnswer, PreviewsService, PREVIEW_ACTIONS } from '../previews';
import { verifyGithubSignature, verifyTravisSignature } from './signatures';
import { matchesGlob, pathsRule, refRule, trigger } from './triggers';
import {
  GithubCiEvent,
  GithubPullRequest,
  GithubPush,
  GithubRelease,
  header,
  Headers,
  readPayload,
  recogniseWebhook,
  TravisBuild,
} from './webhooks';

export interface IntakeSettings {
  travisPublicKey?: string;
}
export const INTAKE_SETTINGS = Symbol('INTAKE_SETTINGS');

export interface IntakeRequest {
  user: string;
  uuid: string;
  headers: Headers;
  contentType?: string;
  rawBody: Buffer;
  /** Delivered to the GitHub App's webhook and verified with the App's secret: apps' own webhook secrets do not apply. */
  viaApp?: boolean;
}

/**
 * The intake's answer (docs/contract.md#the-intakes-answer), plus `existing` (the delivery named a deployment that existed already) and,
 * for a deployment whose workflow has ended, `status: "finished"` with a reason: a redelivery
 * never reruns a deployment, and saying "queued" for one that ended would be untrue.
 */
export interface Accepted {
  id: string;
  status: 'queued' | 'waiting_for_ci' | 'finished';
  workflowId: string;
  uuid: string;
  existing: boolean;
  reason?: string;
  /** A push that deployed several apps of the repository (docs/contract.md#several-apps-per-repository): each one's deployment. */
  deployments?: Array<Omit<Accepted, 'deployments' | 'ignored'> & { app: string }>;
  /** The apps of the repository the push did not deploy, and why. */
  ignored?: Array<{ app: string; reason: string }>;
}

export type IntakeAnswer =
  | { httpStatus: 202; body: Accepted }
  | {
      httpStatus: 200;
      body: { status: 'ignored' | 'pong'; reason: string; uuid: string; ignored?: Array<{ app: string; reason: string }> };
    }
  | PreviewsAnswer;

/** A `pull_request` event's answer (docs/contract.md#preview-apps): each app's preview, what happens to it or why nothing does. */
export type PreviewsAnswer = {
  httpStatus: 200 | 202;
  body: { status: PreviewAnswer['status']; reason: string; uuid: string; previews: PreviewAnswer[] };
};

const KEPT_HEADERS = [
  'x-github-event',
  'x-github-delivery',
  'x-hub-signature-256',
  'travis-repo-slug',
  'signature',
  'user-agent',
  'content-type',
];

/**
 * Webhook intake (docs/contract.md#webhook-intake): recognise, authenticate, store the payload, start or signal the
 * deployment workflow, answer. Everything slow happens in the workflow.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);

  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly starter: DeploymentStarter,
    private readonly workflows: DeploymentWorkflowsClient,
    private readonly apps: AppsService,
    private readonly github: GithubClient,
    private readonly tokens: GithubTokens,
    @Inject(INTAKE_SETTINGS) private readonly settings: IntakeSettings,
    private readonly previews: PreviewsService,
  ) {}

  async deliver(request: IntakeRequest): Promise<IntakeAnswer> {
    const seen: { provider: IntakeProvider } = { provider: 'unknown' };
    try {
      const answer = await this.answer(request, seen);
      recordIntake(seen.provider, answer);
      return answer;
    } catch (error) {
      recordIntakeError(seen.provider, error);
      throw error;
    }
  }

  private async answer(request: IntakeRequest, seen: { provider: IntakeProvider }): Promise<IntakeAnswer> {
    if (request.rawBody.length === 0) throw ApiError.of(Errors.deployNoPayload);
    const { json, text } = readPayload(request.contentType, request.rawBody);
    const webhook = recogniseWebhook(request.headers, json, text);
    seen.provider = webhook.kind === 'travis' ? 'travis' : 'github';
    switch (webhook.kind) {
      case 'github_ping':
        return {
          httpStatus: 200,
          body: { status: 'pong', reason: 'GitHub ping received; pushes to the deploy branch will deploy.', uuid: request.uuid },
        };
      case 'github_other':
        return ignored(request, `GitHub ${webhook.event} events do not deploy; only pushes do.`);
      case 'github_push':
        return this.push(request, webhook);
      case 'github_release':
        return this.release(request, webhook);
      case 'github_ci':
        return this.ciEvent(request, webhook);
      case 'travis':
        return this.travis(request, webhook);
      case 'github_pull_request':
        return this.pullRequest(request, webhook);
    }
  }

  /**
   * A push (docs/contract.md#webhook-intake, docs/contract.md#several-apps-per-repository): each app of the repository whose trigger matches (ref, then paths)
   * gets its own deployment; with no app configured, pushes to the default branch deploy as the
   * package's app, as before apps existed. The answer lists the deployments (the first one's
   * fields on top, as for one app) and the apps the push did not deploy, with their reasons.
   */
  private async push(request: IntakeRequest, push: GithubPush): Promise<IntakeAnswer> {
    const apps = await this.appsFor(request.user, push.repository.fullName);
    await this.checkGithubSignature(request, apps);
    if (push.deleted) return ignored(request, `${push.ref} was deleted; nothing to deploy.`);
    if (apps.length === 0) {
      if (!push.branch) return ignored(request, `${push.ref} is not a branch; tag pushes do not deploy.`);
      const deployBranch = push.repository.defaultBranch ?? 'master';
      if (push.branch !== deployBranch)
        return ignored(request, `Pushes to ${push.branch} do not deploy; the deploy branch is ${deployBranch}.`);
      return accepted(
        ...(await this.startPush(request, push, null, deploymentWorkflowId(request.user, push.repository.fullName, push.commit))),
      );
    }
    const skipped: Array<{ app: string; reason: string }> = [];
    const byRef = apps.filter((app) => {
      const reason = refRule(trigger(app), { branch: push.branch, tag: push.tag, defaultBranch: push.repository.defaultBranch });
      if (reason) skipped.push({ app: app.record.name, reason });
      return !reason;
    });
    const files = byRef.some((app) => app.record.paths?.length) ? await this.changedFiles(request.user, push) : undefined;
    const deploying = byRef.filter((app) => {
      const reason = pathsRule(trigger(app), files) ?? this.lockRule(request, push, app);
      if (reason) skipped.push({ app: app.record.name, reason });
      return !reason;
    });
    if (deploying.length === 0)
      return {
        httpStatus: 200,
        body: { status: 'ignored', reason: skipped.map((s) => s.reason).join(' '), ignored: skipped, uuid: request.uuid },
      };
    const started: Array<{ app: string; workflow: 'running' | 'closed'; body: Accepted }> = [];
    for (const app of deploying) {
      const [workflow, body] = await this.startPush(
        request,
        push,
        app,
        this.workflowIdFor(request.user, push.repository.fullName, push.commit, app, apps),
      );
      started.push({ app: app.record.name, workflow, body });
    }
    const answers = started.map(({ app, workflow, body }) => ({ app, ...accepted(workflow, body).body }));
    const first = accepted(started[0].workflow, started[0].body);
    if (answers.length === 1 && skipped.length === 0) return first;
    return { httpStatus: 202, body: { ...first.body, deployments: answers, ...(skipped.length > 0 && { ignored: skipped }) } as Accepted };
  }

  /** Rollback and the lock (docs/contract.md#rollback-and-the-lock): after a rollback the operator decides when pushes deploy the app again. */
  private lockRule(request: IntakeRequest, push: GithubPush, app: AppSecrets): string | undefined {
    const lock = app.record.lock;
    if (!lock) return undefined;
    this.logger.log({
      msg: `push of ${push.repository.fullName}@${push.commit.slice(0, 7)} ignored: ${app.record.name} is locked after a rollback to v${lock.release} (${request.uuid})`,
      app: app.record.name,
      commit: push.commit,
    });
    return `locked after a rollback: ${app.record.name} was rolled back to v${lock.release} (deployment ${lock.deployment}); pushes do not deploy until POST /1/apps/${request.user}/${app.record.name}/unlock.`;
  }

  /**
   * Deployment ids derive from (user, repository, commit) so GitHub, Travis and redeliveries meet
   * on them. With several apps of the repository, the first app configured for it (the one that
   * had the repository alone before) keeps that id; each other app's includes its name, so one
   * push makes one deployment per app and a redelivery finds each again.
   */
  private workflowIdFor(user: string, repository: string, commit: string, app: AppSecrets, apps: AppSecrets[]): string {
    const base = deploymentWorkflowId(user, repository, commit);
    return apps[0].record._id === app.record._id ? base : appDeploymentWorkflowId(base, app.record.name);
  }

  /** Stores the payload and the deployment of one app (null: none configured) and starts or signals its workflow. */
  private async startPush(
    request: IntakeRequest,
    push: GithubPush,
    app: AppSecrets | null,
    workflowId: string,
  ): Promise<['running' | 'closed', Accepted]> {
    const id = deploymentId(workflowId);
    const branch = push.branch ?? push.ref;
    // Keyed by deployment and delivery: a redelivery is stored once, and a delivery id reused
    // for another push (or by another user) can never point a deployment at someone else's payload.
    const payloadId = push.delivery ? `github:${id}:${push.delivery}` : `github:${id}:${randomUUID()}`;
    const receivedAt = new Date();
    const signal = {
      payloadId,
      branch,
      app: app?.record.name,
      before: push.before,
      pushedAt: push.pushedAt,
      receivedAt: receivedAt.toISOString(),
    };
    const fresh: NewDeployment = {
      workflowId,
      user: request.user,
      repository: push.repository.fullName,
      commit: push.commit,
      branch,
      app: app?.record.name,
      provider: 'github',
      uuid: request.uuid,
      payloadId,
      createdAt: receivedAt,
    };
    // Payload and record first, together: a record that says the deployment ended answers the
    // redelivery before anything starts (docs/contract.md#the-record-in-mongodb; its workflow may be gone from Temporal, and a
    // run started only to be ended would already have joined the app's line).
    const [, { record, created }] = await Promise.all([this.store(request, 'github', id, payloadId), this.record('push', fresh)]);
    if (hasEnded(record)) return ['closed', { id, status: 'queued', workflowId, uuid: request.uuid, existing: true }];
    if (!created && !record.payloadId)
      await this.deployments.attachPush(id, { payloadId, branch, app: app?.record.name }).catch(() => undefined);
    const workflow = await this.starter.start(record, { push: signal });
    this.logger.log({
      msg: `deployment ${id} ${created ? 'started' : 'already exists'} for ${push.repository.fullName}@${push.commit.slice(0, 7)}${app ? ` (${app.record.name})` : ''} (${request.uuid})`,
      deploymentId: id,
      workflowId,
    });
    const status = app?.record.ci === 'travis' || app?.record.ci === 'github' ? 'waiting_for_ci' : 'queued';
    return [workflow, { id, status, workflowId, uuid: request.uuid, existing: !created }];
  }

  /** The push's changed files: its commits' lists, else GitHub's compare API (before...after); undefined when neither tells. */
  private async changedFiles(user: string, push: GithubPush): Promise<string[] | undefined> {
    if (push.files) return push.files;
    if (!push.before || /^0+$/.test(push.before)) return undefined; // a new branch or tag: nothing to compare with
    try {
      return await this.github.changedFiles(
        push.repository.fullName,
        push.before,
        push.commit,
        await this.tokens.tokenFor(user, undefined, push.repository.fullName),
      );
    } catch (error) {
      this.logger.warn(
        `changed files of ${push.repository.fullName} ${push.before.slice(0, 7)}...${push.commit.slice(0, 7)}: ${(error as Error).message}; deploying without the paths filter`,
      );
      return undefined;
    }
  }

  /** A published GitHub release (docs/contract.md#triggers): deploys its tag's commit to the apps whose deployOn.tags matches it. */
  private async release(request: IntakeRequest, release: GithubRelease): Promise<IntakeAnswer> {
    const apps = await this.appsFor(request.user, release.repository.fullName);
    await this.checkGithubSignature(request, apps);
    if (release.action !== 'published')
      return ignored(request, `GitHub release events deploy when a release is published, not ${release.action || 'without an action'}.`);
    const matching = apps.filter((app) => app.record.deployTags !== undefined && !refRule(trigger(app), { tag: release.tag }));
    if (matching.length === 0)
      return ignored(request, `No app of ${release.repository.fullName} deploys tag ${release.tag} (deployOn.tags).`);
    let commit: string;
    try {
      commit = await this.github.commitOf(
        release.repository.fullName,
        `tags/${release.tag}`,
        await this.tokens.tokenFor(request.user, undefined, release.repository.fullName),
      );
    } catch (error) {
      throw ApiError.of(
        Errors.deployGithubReadFailed,
        `The commit of tag ${release.tag} could not be read from GitHub (${(error as Error).message}). Deliver the webhook again shortly.`,
        { status: 502 },
      );
    }
    // As the tag's push: same commit, same deployments (a release after its tag push deploys nothing twice).
    const push: GithubPush = {
      kind: 'github_push',
      delivery: release.delivery,
      repository: { ...release.repository, private: false },
      ref: `refs/tags/${release.tag}`,
      tag: release.tag,
      deleted: false,
      sha: commit,
      commit,
      files: undefined,
    };
    const started: Array<['running' | 'closed', Accepted]> = [];
    for (const app of matching)
      started.push(await this.startPush(request, push, app, this.workflowIdFor(request.user, push.repository.fullName, commit, app, apps)));
    const first = accepted(...started[0]);
    if (started.length === 1) return first;
    return {
      httpStatus: 202,
      body: {
        ...first.body,
        deployments: started.map(([workflow, body], i) => ({ app: matching[i].record.name, ...accepted(workflow, body).body })),
      } as Accepted,
    };
  }

  /**
   * `check_suite`, `check_run`, `status` (docs/contract.md#github-checks): wake the deployment of that commit if one waits
   * for CI; the workflow reads the checks itself, so the event's content is only a hint.
   */
  private async ciEvent(request: IntakeRequest, event: GithubCiEvent): Promise<IntakeAnswer> {
    // Preview apps' deployments of the commit wait for CI too (docs/contract.md#preview-apps).
    const apps = await this.appsFor(request.user, event.repository.fullName, { withPreviews: true });
    await this.checkGithubSignature(request, apps);
    // Every app's deployment of the commit (one per app of the repository, docs/contract.md#several-apps-per-repository).
    const base = deploymentWorkflowId(request.user, event.repository.fullName, event.sha);
    const workflowIds = [base, ...apps.slice(1).map((app) => appDeploymentWorkflowId(base, app.record.name))];
    let woken: { id: string; workflowId: string } | undefined;
    let running = false;
    for (const workflowId of workflowIds) {
      const id = deploymentId(workflowId);
      const record: DeploymentRecord | null = await this.payloadStore(() => this.deployments.findById(id));
      const waits = record && !hasEnded(record) && (record.step === undefined || ['received', 'waiting_for_ci'].includes(record.step));
      if (!record || !waits) continue;
      running = true;
      if (!(await this.workflows.signalCi(workflowId, { event: event.event, summary: event.summary }))) continue;
      this.logger.log({
        msg: `${event.summary} for ${event.repository.fullName}@${event.sha.slice(0, 7)} signalled to ${id} (${request.uuid})`,
        deploymentId: id,
        workflowId,
      });
      woken ??= { id, workflowId };
    }
    if (woken) return { httpStatus: 202, body: { ...woken, status: 'waiting_for_ci', uuid: request.uuid, existing: true } };
    if (running) return ignored(request, `The deployment of ${event.repository.fullName}@${event.sha.slice(0, 7)} is no longer running.`);
    return ignored(
      request,
      `No deployment of ${event.repository.fullName}@${event.sha.slice(0, 7)} waits for CI; ${event.event} events only wake one that does.`,
    );
  }

  /**
   * An app's webhook secret guards every GitHub event for its repository, unless the GitHub App's
   * secret verified it. With several apps of the repository (one GitHub webhook, one secret), each
   * app's secret must verify it: one app's secret never opens another's deployments.
   */
  private async checkGithubSignature(request: IntakeRequest, apps: AppSecrets[]): Promise<void> {
    if (request.viaApp) return;
    for (const app of apps) {
      if (!app.webhookSecret) continue;
      if (await verifyGithubSignature(app.webhookSecret, request.rawBody, header(request.headers, 'x-hub-signature-256'))) continue;
      throw ApiError.of(
        Errors.deployAuthBadSignature,
        `The X-Hub-Signature-256 header does not match the webhook secret of ${apps.length > 1 ? `the app ${app.record.name}` : 'this app'}.`,
      );
    }
  }

  private async travis(request: IntakeRequest, build: TravisBuild): Promise<IntakeAnswer> {
    const apps = await this.appsFor(request.user, build.repository.fullName);
    if (apps.length === 0) this.checkTravisSignature(request, build, null);
    for (const app of apps) this.checkTravisSignature(request, build, app);
    if (!build.finished) return ignored(request, `Travis build is ${build.statusMessage}; waiting for a final result.`);
    if (build.pullRequest) return ignored(request, 'Pull request builds do not deploy; the push to the deploy branch does.');
    // Only a build of an app's deploy branch (or of a tag it deploys) gates its deployment; when no app names the branch, the push decides.
    const gated = apps.filter(
      (app) =>
        !build.branch ||
        (app.record.deployTags !== undefined
          ? matchesGlob(app.record.deployTags, build.branch)
          : !app.record.branch || build.branch === app.record.branch),
    );
    if (apps.length > 0 && gated.length === 0) {
      return ignored(
        request,
        `Travis built ${build.branch}; only builds of the deploy branch ${apps.map((app) => app.record.branch ?? app.record.deployTags).join(', ')} gate a deployment.`,
      );
    }
    const base = deploymentWorkflowId(request.user, build.repository.fullName, build.sha);
    const started: Array<['running' | 'closed', Accepted]> = [];
    for (const app of gated.length > 0 ? gated : [null]) {
      started.push(
        await this.signalTravis(
          request,
          build,
          app ? this.workflowIdFor(request.user, build.repository.fullName, build.sha, app, apps) : base,
        ),
      );
    }
    return accepted(...started[0]);
  }

  /** Signal-with-start: a Travis result that comes before the push must not be lost (docs/contract.md#webhook-intake). */
  private async signalTravis(request: IntakeRequest, build: TravisBuild, workflowId: string): Promise<['running' | 'closed', Accepted]> {
    const id = deploymentId(workflowId);
    const payloadId = `travis:${randomUUID()}`;
    await this.store(request, 'travis', id, payloadId);
    const { record, created } = await this.record('travis', {
      workflowId,
      user: request.user,
      repository: build.repository.fullName,
      commit: build.sha,
      branch: build.branch,
      provider: 'travis',
      uuid: request.uuid,
      state: 'waiting_for_ci',
      step: 'waiting_for_ci',
    });
    if (hasEnded(record)) return ['closed', { id, status: 'queued', workflowId, uuid: request.uuid, existing: true }];
    const travis = { passed: build.passed, statusMessage: build.statusMessage, buildUrl: build.buildUrl, payloadId };
    const workflow = await this.starter.start(record, { travis });
    this.logger.log({
      msg: `travis ${build.statusMessage} for ${build.repository.fullName}@${build.sha.slice(0, 7)} signalled to ${id} (${request.uuid})`,
      deploymentId: id,
      workflowId,
    });
    return [workflow, { id, status: record.payloadId ? 'queued' : 'waiting_for_ci', workflowId, uuid: request.uuid, existing: !created }];
  }

  /**
   * With TRAVIS_PUBLIC_KEY set, every Travis notification must verify. Without it, an app that
   * guards its pushes with a webhook secret (or sets `travisSignature: required`) takes none:
   * an unverifiable "Passed" would release a commit its CI gate holds.
   */
  private checkTravisSignature(request: IntakeRequest, build: TravisBuild, app: AppSecrets | null): void {
    const signature = header(request.headers, 'signature');
    if (this.settings.travisPublicKey) {
      if (verifyTravisSignature(this.settings.travisPublicKey, build.signedPayload, signature)) return;
      throw ApiError.of(
        Errors.deployAuthBadSignature,
        'The Travis Signature header does not verify against the configured Travis public key.',
      );
    }
    if (app && (app.webhookSecret || app.record.travisSignature === 'required')) {
      const why = app.webhookSecret ? 'has a webhook secret' : 'sets travisSignature: required';
      throw ApiError.of(
        Errors.deployAuthBadSignature,
        `${signature ? "This Travis notification's Signature cannot be verified" : 'This Travis notification is unsigned'}: the app ${app.record.name} ${why}, so it takes only Travis notifications verified with Travis' public key, and TRAVIS_PUBLIC_KEY is not set on this service.`,
      );
    }
  }

  /**
   * The user's apps of the repository, the first configured first (the one whose deployments keep
   * the plain ids); preview apps are their pull requests' (docs/contract.md#preview-apps), not the repository's pushes'.
   */
  private async appsFor(user: string, repository: string, options: { withPreviews?: boolean } = {}): Promise<AppSecrets[]> {
    const apps = await this.payloadStore(() => this.apps.allForPush(user, repository));
    return options.withPreviews ? apps : apps.filter((app) => !app.record.previewOf);
  }

  /**
   * A `pull_request` event (docs/contract.md#preview-apps): to the preview of each app of the base
   * repository with previews enabled; the answer lists each one's, the first one's on top.
   */
  private async pullRequest(request: IntakeRequest, pr: GithubPullRequest): Promise<IntakeAnswer> {
    const apps = await this.appsFor(request.user, pr.repository.fullName);
    await this.checkGithubSignature(request, apps);
    const withPreviews = apps.filter((app) => app.record.previews?.enabled);
    if (withPreviews.length === 0)
      return ignored(request, `No app of ${pr.repository.fullName} has previews enabled; pull requests deploy nothing.`);
    if (!PREVIEW_ACTIONS.includes(pr.action))
      return ignored(
        request,
        `pull_request ${pr.action || 'without an action'} events change no preview; opened, reopened, synchronize and closed do.`,
      );
    const event = {
      delivery: pr.delivery,
      action: pr.action,
      number: pr.number,
      repository: pr.repository.fullName,
      head: pr.head,
      fork: pr.fork,
      merged: pr.merged,
      before: pr.before,
      updatedAt: pr.updatedAt,
    };
    const answers: PreviewAnswer[] = [];
    for (const app of withPreviews) answers.push(await this.previews.receive(request.user, app, event, request.uuid));
    const first = answers.find((answer) => answer.status !== 'ignored') ?? answers[0];
    this.logger.log({
      msg: `pull request #${pr.number} of ${pr.repository.fullName} ${pr.action}: ${answers.map((a) => `${a.preview} ${a.status}`).join(', ')} (${request.uuid})`,
    });
    return {
      httpStatus: first.status === 'ignored' ? 200 : 202,
      body: { status: first.status, reason: first.reason, uuid: request.uuid, previews: answers },
    };
  }

  private async store(request: IntakeRequest, provider: Provider, deployment: string, payloadId: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = header(request.headers, name);
      if (value !== undefined) headers[name] = value.slice(0, 512);
    }
    await this.payloadStore(() =>
      this.deployments.storePayload({
        _id: payloadId,
        user: request.user,
        provider,
        deployment,
        uuid: request.uuid,
        contentType: request.contentType,
        headers,
        body: request.rawBody.toString('utf8'),
        receivedAt: new Date(),
      }),
    );
  }

  private record(kind: DeploymentKind, deployment: NewDeployment): Promise<{ record: DeploymentRecord; created: boolean }> {
    return this.payloadStore(() => this.starter.record(kind, deployment));
  }

  private payloadStore<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.deployDbFailedToStorePayload, operation, {
      message: (cause) => `The payload could not be stored (${cause.message}); nothing was started. Deliver the webhook again shortly.`,
    });
  }
}

function ignored(request: IntakeRequest, reason: string): IntakeAnswer {
  return { httpStatus: 200, body: { status: 'ignored', reason, uuid: request.uuid } };
}

function accepted(workflow: 'running' | 'closed', body: Accepted): IntakeAnswer {
  if (workflow === 'running') return { httpStatus: 202, body };
  const reason = `Deployment ${body.id} of this commit has finished already; a delivery does not run it again. If it failed or was canceled, POST /1/deployments/${body.id}/retry runs it again; a new commit deploys anew.`;
  return { httpStatus: 202, body: { ...body, status: 'finished', reason } };
}
