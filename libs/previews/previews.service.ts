import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppSecrets, AppsService, PREVIEW_DEFAULTS, usersAllowed } from '../apps';
import type { Principal } from '../auth';
import { answered } from '../deployments/approvals.service';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { previewWorkflowId } from '../deployments/workflow-ids';
import { ApiError, Errors, storeCall } from '../errors';
import type { PreviewInput } from '../../workflows/types';
import { PreviewRecord, previewRecordId, PreviewsRepository } from './previews.repository';
import { previewAppName, PullRequestEvent, ttlMs } from './pull-request';

/** What the intake answers for one app's preview: accepted (202) or ignored (200), with why. */
export type PreviewAnswer =
  | {
      status: 'queued' | 'awaiting_approval' | 'tearing_down';
      app: string;
      preview: string;
      pr: number;
      workflowId: string;
      reason: string;
    }
  | { status: 'ignored'; app: string; preview: string; pr: number; reason: string };

export interface PreviewSettings {
  /** PREVIEWS_RECONCILE_INTERVAL: how often a preview asks GitHub whether its pull request is still open. */
  reconcileIntervalMs: number;
}
export const PREVIEW_SETTINGS = Symbol('PREVIEW_SETTINGS');

/** What the API shows of a preview (docs/api.md). */
export interface PreviewView {
  app: string;
  name: string;
  pr: number;
  repository: string;
  fork: boolean;
  headRepository: string;
  state: PreviewRecord['state'];
  reason: string;
  head?: { sha: string; ref: string; deployment?: string };
  removedBecause?: PreviewRecord['removedBecause'];
  createdAt: string;
  updatedAt: string;
  lastPushAt: string;
  removedAt?: string;
  approval?: { by: string; sha: string; at: string; comment?: string };
}

/** The answer to an approval of a fork's head: it deploys now (docs/contract.md#preview-apps). */
export interface PreviewApprovalAnswer {
  app: string;
  preview: string;
  pr: number;
  sha: string;
  approvedBy: string;
  deploys: true;
}

/**
 * The gateway's side of preview apps (docs/contract.md#preview-apps): a `pull_request` event of
 * an app with previews becomes an event of the pull request's preview workflow (started with it),
 * decided against the preview's record first, so late events of a torn-down preview start nothing.
 */
@Injectable()
export class PreviewsService {
  private readonly logger = new Logger(PreviewsService.name);

  constructor(
    private readonly previews: PreviewsRepository,
    private readonly workflows: DeploymentWorkflowsClient,
    private readonly apps: AppsService,
    @Inject(PREVIEW_SETTINGS) private readonly settings: PreviewSettings,
  ) {}

  async receive(user: string, parent: AppSecrets, event: PullRequestEvent, uuid: string): Promise<PreviewAnswer> {
    const settings = parent.record.previews!;
    const name = previewAppName(parent.record.name, event.number);
    const base = { app: parent.record.name, preview: name, pr: event.number };
    const existing = await this.db(() => this.previews.find(user, parent.record.name, event.number));
    if (existing && (existing.state === 'removed' || existing.state === 'teardown_failed'))
      return {
        status: 'ignored',
        ...base,
        reason: `The preview ${name} was torn down: ${existing.reason} Events of pull request #${event.number} change nothing.`,
      };
    const workflowId = previewWorkflowId(user, parent.record.name, event.number);
    if (existing?.state === 'tearing_down')
      return {
        status: 'ignored',
        ...base,
        reason: `The preview ${name} is being torn down: ${existing.reason} Events of pull request #${event.number} change nothing.`,
      };
    if (event.action === 'closed') {
      if (!existing) return { status: 'ignored', ...base, reason: `Pull request #${event.number} has no preview; nothing to tear down.` };
      const sent = await this.workflows.signalPreview(this.input(user, parent, event), workflowId, {
        type: 'closed',
        merged: event.merged,
        receivedAt: new Date().toISOString(),
      });
      if (!sent) return { status: 'ignored', ...base, reason: `The preview ${name} is being torn down already; nothing more to do.` };
      return { status: 'tearing_down', ...base, workflowId, reason: `Pull request #${event.number} was closed: ${name} is torn down.` };
    }
    const forks = settings.forks ?? PREVIEW_DEFAULTS.forks;
    if (event.fork && forks === 'never')
      return {
        status: 'ignored',
        ...base,
        reason: `Pull request #${event.number} comes from the fork ${event.head.repository}; ${parent.record.name}'s previews.forks is never, so forks get no preview.`,
      };
    if (!existing) await this.create(user, parent, event, workflowId);
    const sent = await this.workflows.signalPreview(this.input(user, parent, event), workflowId, {
      type: 'head',
      head: {
        sha: event.head.sha,
        ref: event.head.ref,
        headRepository: event.head.repository,
        fork: event.fork,
        before: event.before,
        pushedAt: event.updatedAt,
        receivedAt: new Date().toISOString(),
        payloadId: `github:pull_request:${event.delivery ?? uuid}`,
        uuid,
        action: event.action,
      },
    });
    if (!sent)
      return {
        status: 'ignored',
        ...base,
        reason: `The preview ${name} is being torn down; pull request #${event.number}'s events change nothing.`,
      };
    if (event.fork && forks === 'approve')
      return {
        status: 'awaiting_approval',
        ...base,
        workflowId,
        reason: `${event.head.sha.slice(0, 7)} from the fork ${event.head.repository} waits for an approval before it deploys (previews.forks is approve).`,
      };
    return { status: 'queued', ...base, workflowId, reason: `${event.head.sha.slice(0, 7)} deploys to ${name}.` };
  }

  /** The preview's first record; the app's previews.max holds (concurrent first events may pass it by the few that counted at once). */
  private async create(user: string, parent: AppSecrets, event: PullRequestEvent, workflowId: string): Promise<void> {
    const max = parent.record.previews?.max ?? PREVIEW_DEFAULTS.max;
    const active = await this.db(() => this.previews.countActive(user, parent.record.name));
    if (active >= max)
      throw ApiError.of(
        Errors.appsPreviewsLimit,
        `${parent.record.name} has ${active} preview apps, the most its previews.max (${max}) allows; pull request #${event.number} gets none until one is closed.`,
      );
    const now = new Date();
    const { created } = await this.db(() =>
      this.previews.insertOrGet({
        _id: previewRecordId(user, parent.record.name, event.number),
        user,
        app: parent.record.name,
        pr: event.number,
        name: previewAppName(parent.record.name, event.number),
        repository: parent.record.repository,
        fork: event.fork,
        headRepository: event.head.repository,
        state: 'deploying',
        reason: `${event.head.sha.slice(0, 7)} deploys.`,
        workflowId,
        createdAt: now,
        updatedAt: now,
        lastPushAt: now,
      }),
    );
    if (created) this.logger.log({ msg: `preview ${previewAppName(parent.record.name, event.number)} of ${user} created`, workflowId });
  }

  private input(user: string, parent: AppSecrets, event: PullRequestEvent): PreviewInput {
    const settings = parent.record.previews!;
    return {
      user,
      app: parent.record.name,
      pr: event.number,
      repository: parent.record.repository,
      ttlMs: ttlMs(settings.ttl ?? PREVIEW_DEFAULTS.ttl),
      forks: settings.forks ?? PREVIEW_DEFAULTS.forks,
      reconcileMs: this.settings.reconcileIntervalMs,
    };
  }

  /** The app's previews, the newest pull request first (docs/api.md); 404 `apps:not_found` for an app the user does not have. */
  async listOf(user: string, app: string, limit: number, skip: number): Promise<PreviewView[]> {
    await this.apps.get(user, app);
    const records = await this.db(() => this.previews.list(user, app, limit, skip));
    return records.map(previewView);
  }

  /**
   * Approves the fork's head that waits in the preview (docs/contract.md#preview-apps): the caller
   * must be a reviewer of the parent app, as for its deployments (its approval.reviewers, else its
   * approvers and admins); the preview's workflow decides whether that head still waits.
   */
  async approve(
    principal: Principal,
    user: string,
    app: string,
    pr: number,
    request: { sha?: string; comment?: string },
  ): Promise<PreviewApprovalAnswer> {
    const parent = await this.db(() => this.apps.forName(user, app));
    if (!parent) throw ApiError.of(Errors.appsNotFound, `${user} has no app named ${app}.`);
    const reviewers = parent.record.approval?.reviewers ?? usersAllowed(parent.record, 'approver');
    if (!reviewers.includes(principal.user))
      throw ApiError.of(
        Errors.deployApprovalNotReviewer,
        `${principal.user} is not one of ${app}'s reviewers (its approval.reviewers, else its approvers and admins); only they approve the heads of forks in its previews.`,
      );
    const record = await this.db(() => this.previews.find(user, app, pr));
    if (!record) throw ApiError.of(Errors.appsPreviewsNotFound, `${app} has no preview of pull request #${pr}.`);
    const sha = request.sha ?? record.head?.sha;
    if (record.state !== 'awaiting_approval' || !sha)
      throw ApiError.of(
        Errors.deployApprovalClosed,
        `The preview ${record.name} is ${record.state}: ${record.reason} Nothing waits for an approval.`,
      );
    const outcome = await this.workflows.approvePreviewHead(record.workflowId, { sha, by: principal.user });
    const refusal = `${sha.slice(0, 7)} does not wait for an approval in ${record.name} (approved already, replaced by a newer push, or torn down).`;
    answered('refused' in outcome ? { ...outcome, message: refusal } : outcome);
    const at = new Date();
    await this.db(() =>
      this.previews.update(record._id, {
        approval: { by: principal.user, sha, at, ...(request.comment ? { comment: request.comment } : {}) },
      }),
    );
    this.logger.log({
      msg: `${principal.user} approved ${sha.slice(0, 7)} of ${record.name} (fork ${record.headRepository})`,
      workflowId: record.workflowId,
      comment: request.comment,
    });
    return { app, preview: record.name, pr, sha, approvedBy: principal.user, deploys: true };
  }

  private db<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.appsPreviewsDbFailed, operation);
  }
}

export function previewView(r: PreviewRecord): PreviewView {
  return {
    app: r.app,
    name: r.name,
    pr: r.pr,
    repository: r.repository,
    fork: r.fork,
    headRepository: r.headRepository,
    state: r.state,
    reason: r.reason,
    head: r.head && { sha: r.head.sha, ref: r.head.ref, deployment: r.head.deploymentId },
    removedBecause: r.removedBecause,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    lastPushAt: r.lastPushAt.toISOString(),
    removedAt: r.removedAt?.toISOString(),
    approval: r.approval && { ...r.approval, at: r.approval.at.toISOString() },
  };
}
