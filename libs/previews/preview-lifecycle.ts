import { Injectable, Logger } from '@nestjs/common';
import { AppRecord, AppSecrets, AppsRepository, AppsService, repositoryKey, withPr } from '../apps';
import { DeploymentStarter } from '../deployments/deployment-starter';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { DeploymentsRepository, hasEnded } from '../deployments/deployments.repository';
import { deploymentId, previewDeploymentWorkflowId, undeploymentWorkflowId } from '../deployments/workflow-ids';
import { GithubClient, GithubTokens } from '../github';
import type { PreviewRef } from '../../workflows/activities';
import type { PreviewDeploymentState, PreviewEnd, PreviewHead } from '../../workflows/types';
import { PreviewRecord, previewRecordId, PreviewsRepository } from './previews.repository';
import { previewAppName } from './pull-request';

const WHY: Record<PreviewEnd, string> = {
  closed: 'its pull request was closed',
  ttl: 'no push came within previews.ttl',
  reconciled: 'GitHub says its pull request is closed (found by a reconciliation)',
};

/**
 * The worker's side of preview apps (docs/contract.md#preview-apps), what the preview workflow's
 * activities do: the preview app made from its parent, each head deployed through the one way a
 * deployment starts (DeploymentStarter), the teardown's one UNDEPLOY, the record kept.
 */
@Injectable()
export class PreviewLifecycle {
  private readonly logger = new Logger('Previews');

  constructor(
    private readonly previews: PreviewsRepository,
    private readonly apps: AppsService,
    private readonly appsRepository: AppsRepository,
    private readonly deployments: DeploymentsRepository,
    private readonly starter: DeploymentStarter,
    private readonly workflows: DeploymentWorkflowsClient,
    private readonly github: GithubClient,
    private readonly tokens: GithubTokens,
  ) {}

  async deployHead(ref: PreviewRef, head: PreviewHead): Promise<{ deploymentId: string } | null> {
    const record = await this.previews.find(ref.user, ref.app, ref.pr);
    if (!record || !['deploying', 'live', 'failed', 'awaiting_approval'].includes(record.state)) return null;
    const parent = await this.apps.forName(ref.user, ref.app);
    if (!parent?.record.previews?.enabled) return null;
    const name = previewAppName(ref.app, ref.pr);
    if (!(await this.appsRepository.find(ref.user, name))) await this.appsRepository.save(this.previewApp(parent, ref.pr, head), null);
    const workflowId = previewDeploymentWorkflowId(ref.user, ref.repository, head.sha, name);
    const { record: deployment } = await this.starter.record('push', {
      workflowId,
      user: ref.user,
      repository: ref.repository,
      commit: head.sha,
      branch: head.ref,
      app: name,
      provider: 'github',
      uuid: head.uuid,
      payloadId: head.payloadId,
      createdAt: new Date(head.receivedAt),
    });
    if (!hasEnded(deployment)) {
      const { before, pushedAt, receivedAt, payloadId } = head;
      await this.starter.start(deployment, { push: { payloadId, branch: head.ref, app: name, before, pushedAt, receivedAt } });
    }
    await this.previews.update(record._id, {
      state: 'deploying',
      reason: `${head.sha.slice(0, 7)} deploys (deployment ${deployment._id}).`,
      head: { sha: head.sha, ref: head.ref, deploymentId: deployment._id },
      lastPushAt: new Date(head.receivedAt),
    });
    return { deploymentId: deployment._id };
  }

  /** The preview app as its parent is now: its target (previews.target, `{{pr}}` filled) and env (the parent's, then the overrides). */
  private previewApp(parent: AppSecrets, pr: number, head: PreviewHead): AppRecord {
    const settings = parent.record.previews!;
    const name = previewAppName(parent.record.name, pr);
    const target = settings.target ? withPr(settings.target, pr) : parent.record.target;
    const env = { ...parent.env, ...this.apps.openPreviewEnv(settings) };
    const now = new Date();
    return {
      _id: `${parent.record.user}/${name}`,
      user: parent.record.user,
      name,
      repository: parent.record.repository,
      repositoryKey: repositoryKey(parent.record.user, parent.record.repository),
      branch: head.ref,
      ...(target && { target }),
      sealedEnv: this.apps.seal(JSON.stringify(env)),
      retain: parent.record.retain,
      ci: parent.record.ci,
      ...(parent.record.requiredChecks && { requiredChecks: parent.record.requiredChecks }),
      ...(parent.record.ciTimeout && { ciTimeout: parent.record.ciTimeout }),
      environment: name,
      ...(settings.url && { url: settings.url.replaceAll('{{pr}}', String(pr)) }),
      previewOf: { app: parent.record.name, pr },
      createdAt: now,
      updatedAt: now,
      uuid: head.uuid,
    };
  }

  async mark(
    ref: PreviewRef,
    state: 'awaiting_approval' | 'live' | 'failed' | 'tearing_down',
    reason: string,
    sha?: string,
  ): Promise<void> {
    const record = await this.previews.find(ref.user, ref.app, ref.pr);
    if (!record) return;
    // A fork's head waiting for an approval is the newest head; nothing of it is deployed.
    const head = state === 'awaiting_approval' && sha ? { head: { sha, ref: record.head?.ref ?? '' } } : {};
    await this.previews.update(record._id, { state, reason, ...head });
  }

  async deploymentState(deploymentId: string): Promise<PreviewDeploymentState> {
    const record = await this.deployments.findById(deploymentId);
    return { ended: record ? hasEnded(record) : true, state: record?.state };
  }

  async pullRequestState(ref: PreviewRef): Promise<'open' | 'closed' | 'unknown'> {
    try {
      const token = await this.tokens.tokenFor(ref.user, undefined, ref.repository);
      return (await this.github.pullRequest(ref.repository, ref.pr, token)).state;
    } catch (error) {
      this.logger.warn(`pull request #${ref.pr} of ${ref.repository}: ${(error as Error).message}; the preview stays until GitHub answers`);
      return 'unknown';
    }
  }

  /**
   * The teardown's `attempt`-th UNDEPLOY, once: its deployments in flight canceled first (none
   * deploys after its app is gone), then the UNDEPLOY written to the record before it starts.
   */
  async startTeardown(ref: PreviewRef, attempt: number, because: PreviewEnd): Promise<{ deploymentId?: string }> {
    const id = previewRecordId(ref.user, ref.app, ref.pr);
    const record = await this.previews.find(ref.user, ref.app, ref.pr);
    const name = previewAppName(ref.app, ref.pr);
    await this.cancelInFlight(record, because);
    const app = await this.appsRepository.find(ref.user, name);
    const claimed = record?.teardown?.attempt === attempt ? record.teardown : undefined;
    if (!claimed && (!app || !record?.head?.deploymentId)) {
      // Nothing was ever deployed (a fork's head that waited): no UNDEPLOY, the app record goes.
      if (app?.previewOf) await this.appsRepository.remove(ref.user, name);
      return {};
    }
    const teardown = claimed ?? (await this.previews.claimTeardown(id, this.teardownOf(app!, attempt)));
    const lastRecord = teardown.undeploys ? await this.deployments.findById(teardown.undeploys) : null;
    const { record: undeploy } = await this.starter.record('undeploy', {
      workflowId: teardown.workflowId,
      user: ref.user,
      repository: ref.repository,
      commit: lastRecord?.commit ?? 'none',
      app: name,
      provider: 'api',
      uuid: `preview-teardown-${because}`,
    });
    if (!hasEnded(undeploy))
      await this.starter.start(undeploy, {
        push: { payloadId: 'undeploy', branch: app?.branch ?? '', app: name },
        undeploy: { undeploys: teardown.undeploys, removeApp: true, appVersion: teardown.appVersion },
      });
    this.logger.log({ msg: `preview ${name} of ${ref.user}: UNDEPLOY ${undeploy._id} (attempt ${attempt}) because ${WHY[because]}` });
    return { deploymentId: undeploy._id };
  }

  private teardownOf(app: AppRecord, attempt: number): NonNullable<PreviewRecord['teardown']> {
    const appVersion = { createdAt: app.createdAt.getTime(), revision: app.revision ?? 0 };
    const workflowId = undeploymentWorkflowId({ user: app.user, name: app.name, ...appVersion }, app.lastDeployment, true, attempt);
    return {
      attempt,
      workflowId,
      deploymentId: deploymentId(workflowId),
      ...(app.lastDeployment && { undeploys: app.lastDeployment }),
      appVersion,
    };
  }

  private async cancelInFlight(record: PreviewRecord | null, because: PreviewEnd): Promise<void> {
    const deploymentId = record?.head?.deploymentId;
    const deployment = deploymentId ? await this.deployments.findById(deploymentId) : null;
    if (deployment && !hasEnded(deployment))
      await this.workflows.cancel(deployment.workflowId, `the preview is torn down: ${WHY[because]}`);
  }

  async removed(ref: PreviewRef, because: PreviewEnd, failed?: string): Promise<void> {
    const name = previewAppName(ref.app, ref.pr);
    const id = previewRecordId(ref.user, ref.app, ref.pr);
    if (failed) {
      await this.previews.removed(id, {
        state: 'teardown_failed',
        reason: `Torn down because ${WHY[because]}, but its target did not remove it: ${failed}. Undeploy ${name} by hand (POST /1/apps/${ref.user}/${name}/undeploy).`,
        removedBecause: because,
      });
      return;
    }
    const app = await this.appsRepository.find(ref.user, name);
    if (app?.previewOf) await this.appsRepository.remove(ref.user, name);
    await this.previews.removed(id, { state: 'removed', reason: `Removed because ${WHY[because]}.`, removedBecause: because });
  }
}
