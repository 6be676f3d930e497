import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppSecrets, AppsService } from '../apps';
import { ApiError } from '../errors';
import { IntakeProvider, recordDeploymentCreated, recordIntake, recordIntakeError } from '../metrics';
import type { DeploymentInput, Provider } from '../../workflows/types';
import { deploymentId, deploymentWorkflowId } from './deployment-ids';
import { DeploymentWorkflowsClient } from './deployment-workflows.client';
import { DeploymentRecord, DeploymentsRepository, hasEnded } from './deployments.repository';
import { verifyGithubSignature, verifyTravisSignature } from './signatures';
import { GithubCiEvent, GithubPush, header, Headers, readPayload, recogniseWebhook, TravisBuild } from './webhooks';

export interface IntakeSettings {
  travisPublicKey?: string;
  ciTimeoutMs: number;
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
 * SPEC 2.1's answer, plus `existing` (the delivery named a deployment that existed already) and,
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
}

export type IntakeAnswer =
  | { httpStatus: 202; body: Accepted }
  | { httpStatus: 200; body: { status: 'ignored' | 'pong'; reason: string; uuid: string } };

const KEPT_HEADERS = ['x-github-event', 'x-github-delivery', 'x-hub-signature-256', 'travis-repo-slug', 'signature', 'user-agent', 'content-type'];

/**
 * Webhook intake (SPEC 2.1): recognise, authenticate, store the payload, start or signal the
 * deployment workflow, answer. Everything slow happens in the workflow.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);

  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly workflows: DeploymentWorkflowsClient,
    private readonly apps: AppsService,
    @Inject(INTAKE_SETTINGS) private readonly settings: IntakeSettings,
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
    if (request.rawBody.length === 0) throw new ApiError('deploy:no_payload', 400, 'The request has no payload.');
    const { json, text } = readPayload(request.contentType, request.rawBody);
    const webhook = recogniseWebhook(request.headers, json, text);
    seen.provider = webhook.kind === 'travis' ? 'travis' : 'github';
    switch (webhook.kind) {
      case 'github_ping':
        return { httpStatus: 200, body: { status: 'pong', reason: 'GitHub ping received; pushes to the deploy branch will deploy.', uuid: request.uuid } };
      case 'github_other':
        return ignored(request, `GitHub ${webhook.event} events do not deploy; only pushes do.`);
      case 'github_push':
        return this.push(request, webhook);
      case 'github_ci':
        return this.ciEvent(request, webhook);
      case 'travis':
        return this.travis(request, webhook);
    }
  }

  private async push(request: IntakeRequest, push: GithubPush): Promise<IntakeAnswer> {
    const app = await this.appFor(request.user, push.repository.fullName);
    await this.checkGithubSignature(request, app);
    if (push.deleted) return ignored(request, `${push.ref} was deleted; nothing to deploy.`);
    if (!push.branch) return ignored(request, `${push.ref} is not a branch; tag pushes do not deploy.`);
    const deployBranch = app?.record.branch ?? push.repository.defaultBranch ?? 'master';
    if (push.branch !== deployBranch) return ignored(request, `Pushes to ${push.branch} do not deploy; the deploy branch is ${deployBranch}.`);
    const lock = app?.record.lock;
    if (lock) {
      // SPEC 6.5: after a rollback the operator decides when pushes deploy again.
      this.logger.log({ msg: `push of ${push.repository.fullName}@${push.sha.slice(0, 7)} ignored: ${app!.record.name} is locked after a rollback to v${lock.release} (${request.uuid})`, app: app!.record.name, commit: push.sha });
      return ignored(request, `locked after a rollback: ${app!.record.name} was rolled back to v${lock.release} (deployment ${lock.deployment}); pushes do not deploy until POST /1/apps/${request.user}/${app!.record.name}/unlock.`);
    }

    const workflowId = deploymentWorkflowId(request.user, push.repository.fullName, push.sha);
    const id = deploymentId(workflowId);
    // Keyed by deployment and delivery: a redelivery is stored once, and a delivery id reused
    // for another push (or by another user) can never point a deployment at someone else's payload.
    const payloadId = push.delivery ? `github:${id}:${push.delivery}` : `github:${id}:${randomUUID()}`;
    const receivedAt = new Date();
    const signal = { payloadId, branch: push.branch, app: app?.record.name, before: push.before, pushedAt: push.pushedAt, receivedAt: receivedAt.toISOString() };
    const fresh: DeploymentRecord = {
      _id: id, workflowId, user: request.user, repository: push.repository.fullName, commit: push.sha, branch: push.branch,
      app: app?.record.name, provider: 'github', uuid: request.uuid, payloadId, createdAt: receivedAt, state: 'running', step: 'received',
    };
    // Issue 15: only Temporal's start stands on the critical path. The payload and the record are
    // written while it runs (the workflow's first status write waits for a record that lands a
    // moment later); a failed write still answers 503, as before.
    const [, { record, created }, workflow] = await Promise.all([
      this.store(request, 'github', id, payloadId),
      this.record(fresh),
      this.workflows.signalWithStart(workflowId, this.input(fresh, signal), { push: signal }),
    ]);
    if (created) recordDeploymentCreated('push');
    // The record says it ended: a redelivery runs nothing. Its workflow is normally closed in
    // Temporal (REJECT_DUPLICATE answers 'closed'); once gone from Temporal, the run just started is ended.
    if (hasEnded(record)) {
      if (workflow === 'running') await this.workflows.endRunStartedSince(workflowId, receivedAt, `Deployment ${id} has finished already; a redelivery does not run it again.`);
      return accepted('closed', { id, status: 'queued', workflowId, uuid: request.uuid, existing: true });
    }
    if (!created && !record.payloadId) await this.deployments.attachPush(id, { payloadId, branch: push.branch, app: app?.record.name }).catch(() => undefined);
    this.logger.log({ msg: `deployment ${id} ${created ? 'started' : 'already exists'} for ${push.repository.fullName}@${push.sha.slice(0, 7)} (${request.uuid})`, deploymentId: id, workflowId });
    const status = app?.record.ci === 'travis' || app?.record.ci === 'github' ? 'waiting_for_ci' : 'queued';
    return accepted(workflow, { id, status, workflowId, uuid: request.uuid, existing: !created });
  }

  /**
   * `check_suite`, `check_run`, `status` (SPEC 7): wake the deployment of that commit if one waits
   * for CI; the workflow reads the checks itself, so the event's content is only a hint.
   */
  private async ciEvent(request: IntakeRequest, event: GithubCiEvent): Promise<IntakeAnswer> {
    const app = await this.appFor(request.user, event.repository.fullName);
    await this.checkGithubSignature(request, app);
    const workflowId = deploymentWorkflowId(request.user, event.repository.fullName, event.sha);
    const id = deploymentId(workflowId);
    let record: DeploymentRecord | null;
    try {
      record = await this.deployments.findById(id);
    } catch (error) {
      throw storeFailed(error);
    }
    const waits = record && !hasEnded(record) && (record.step === undefined || ['received', 'waiting_for_ci'].includes(record.step));
    if (!record || !waits) return ignored(request, `No deployment of ${event.repository.fullName}@${event.sha.slice(0, 7)} waits for CI; ${event.event} events only wake one that does.`);
    if (!(await this.workflows.signalCi(workflowId, { event: event.event, summary: event.summary }))) {
      return ignored(request, `The deployment of ${event.repository.fullName}@${event.sha.slice(0, 7)} is no longer running.`);
    }
    this.logger.log({ msg: `${event.summary} for ${event.repository.fullName}@${event.sha.slice(0, 7)} signalled to ${id} (${request.uuid})`, deploymentId: id, workflowId });
    return { httpStatus: 202, body: { id, status: 'waiting_for_ci', workflowId, uuid: request.uuid, existing: true } };
  }

  /** An app's webhook secret guards every GitHub event for its repository, unless the GitHub App's secret verified it. */
  private async checkGithubSignature(request: IntakeRequest, app: AppSecrets | null): Promise<void> {
    if (request.viaApp || !app?.webhookSecret) return;
    if (await verifyGithubSignature(app.webhookSecret, request.rawBody, header(request.headers, 'x-hub-signature-256'))) return;
    throw new ApiError('deploy:auth:bad_signature', 401, 'The X-Hub-Signature-256 header does not match this app\'s webhook secret.');
  }

  private async travis(request: IntakeRequest, build: TravisBuild): Promise<IntakeAnswer> {
    const app = await this.appFor(request.user, build.repository.fullName);
    this.checkTravisSignature(request, build, app);
    if (!build.finished) return ignored(request, `Travis build is ${build.statusMessage}; waiting for a final result.`);
    if (build.pullRequest) return ignored(request, 'Pull request builds do not deploy; the push to the deploy branch does.');
    // Only a build of the deploy branch gates a deployment; when no app names the branch, the push decides.
    const deployBranch = app?.record.branch;
    if (deployBranch && build.branch && build.branch !== deployBranch) {
      return ignored(request, `Travis built ${build.branch}; only builds of the deploy branch ${deployBranch} gate a deployment.`);
    }
    const workflowId = deploymentWorkflowId(request.user, build.repository.fullName, build.sha);
    const id = deploymentId(workflowId);
    const payloadId = `travis:${randomUUID()}`;
    await this.store(request, 'travis', id, payloadId);
    const { record, created } = await this.record({
      _id: id, workflowId, user: request.user, repository: build.repository.fullName, commit: build.sha, branch: build.branch,
      provider: 'travis', uuid: request.uuid, createdAt: new Date(), state: 'waiting_for_ci', step: 'waiting_for_ci',
    });
    if (created) recordDeploymentCreated('travis');
    if (hasEnded(record)) return accepted('closed', { id, status: 'queued', workflowId, uuid: request.uuid, existing: true });
    const travis = { passed: build.passed, statusMessage: build.statusMessage, buildUrl: build.buildUrl, payloadId };
    const workflow = await this.workflows.signalWithStart(workflowId, this.input(record), { travis });
    this.logger.log({ msg: `travis ${build.statusMessage} for ${build.repository.fullName}@${build.sha.slice(0, 7)} signalled to ${id} (${request.uuid})`, deploymentId: id, workflowId });
    return accepted(workflow, { id, status: record.payloadId ? 'queued' : 'waiting_for_ci', workflowId, uuid: request.uuid, existing: !created });
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
      throw new ApiError('deploy:auth:bad_signature', 401, 'The Travis Signature header does not verify against the configured Travis public key.');
    }
    if (app && (app.webhookSecret || app.record.travisSignature === 'required')) {
      const why = app.webhookSecret ? 'has a webhook secret' : 'sets travisSignature: required';
      throw new ApiError('deploy:auth:bad_signature', 401, `${signature ? 'This Travis notification\'s Signature cannot be verified' : 'This Travis notification is unsigned'}: the app ${app.record.name} ${why}, so it takes only Travis notifications verified with Travis' public key, and TRAVIS_PUBLIC_KEY is not set on this service.`);
    }
  }

  input(record: DeploymentRecord, push?: DeploymentInput['push']): DeploymentInput {
    return {
      deploymentId: record._id,
      user: record.user,
      repository: record.repository,
      commit: record.commit,
      uuid: record.uuid,
      provider: record.provider,
      retryOf: record.retryOf,
      ciTimeoutMs: this.settings.ciTimeoutMs,
      push: push ?? (record.payloadId && record.branch ? { payloadId: record.payloadId, branch: record.branch, app: record.app } : undefined),
    };
  }

  private async appFor(user: string, repository: string): Promise<AppSecrets | null> {
    try {
      return await this.apps.forPush(user, repository);
    } catch (error) {
      throw storeFailed(error);
    }
  }

  private async store(request: IntakeRequest, provider: Provider, deployment: string, payloadId: string): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = header(request.headers, name);
      if (value !== undefined) headers[name] = value.slice(0, 512);
    }
    try {
      await this.deployments.storePayload({
        _id: payloadId, user: request.user, provider, deployment, uuid: request.uuid, contentType: request.contentType,
        headers, body: request.rawBody.toString('utf8'), receivedAt: new Date(),
      });
    } catch (error) {
      throw storeFailed(error);
    }
  }

  private async record(record: DeploymentRecord): Promise<{ record: DeploymentRecord; created: boolean }> {
    try {
      return await this.deployments.insertOrGet(record);
    } catch (error) {
      throw storeFailed(error);
    }
  }
}

function ignored(request: IntakeRequest, reason: string): IntakeAnswer {
  return { httpStatus: 200, body: { status: 'ignored', reason, uuid: request.uuid } };
}

function storeFailed(error: unknown): ApiError {
  return new ApiError('deploy:db:failed_to_store_payload', 503, `The payload could not be stored (${(error as Error).message}); nothing was started. Deliver the webhook again shortly.`);
}

function accepted(workflow: 'running' | 'closed', body: Accepted): IntakeAnswer {
  if (workflow === 'running') return { httpStatus: 202, body };
  const reason = `Deployment ${body.id} of this commit has finished already; a delivery does not run it again. If it failed or was canceled, POST /1/deployments/${body.id}/retry runs it again; a new commit deploys anew.`;
  return { httpStatus: 202, body: { ...body, status: 'finished', reason } };
}
