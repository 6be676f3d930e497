import { Injectable } from '@nestjs/common';
import { AppsService } from '../apps';
import type { Principal } from '../auth';
import { ApiError } from '../errors';
import { StatusEntryView, StatusRepository, toView } from '../status';
import type { DeploymentState } from '../../workflows/types';
import { deploymentId, retryWorkflowId } from './deployment-ids';
import { DeploymentWorkflowsClient } from './deployment-workflows.client';
import { DeploymentRecord, DeploymentsRepository } from './deployments.repository';
import { IntakeService } from './intake.service';

export interface DeploymentView {
  id: string;
  workflowId: string;
  user: string;
  repository: string;
  commit: string;
  branch?: string;
  app?: string;
  provider: string;
  uuid: string;
  retryOf?: string;
  createdAt: string;
  workflowStatus?: string;
  state?: DeploymentState;
  temporalUi: string;
  steps: StatusEntryView[];
}

/** Deployments as users see them: the record, its live state (a workflow query), retry and cancel. */
/** Failed undeploy attempts of one app state before asking again is refused (change the app to start afresh). */
const MAX_UNDEPLOY_ATTEMPTS = 50;

@Injectable()
export class DeploymentsService {
  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly workflows: DeploymentWorkflowsClient,
    private readonly status: StatusRepository,
    private readonly intake: IntakeService,
    private readonly apps: AppsService,
  ) {}

  async get(principal: Principal, id: string): Promise<DeploymentView> {
    const record = await this.owned(principal, id);
    const [live, steps] = await Promise.all([this.workflows.state(record.workflowId), this.status.forDeployment(record._id)]);
    return {
      id: record._id, workflowId: record.workflowId, user: record.user, repository: record.repository, commit: record.commit,
      branch: record.branch, app: record.app, provider: record.provider, uuid: record.uuid, retryOf: record.retryOf,
      createdAt: record.createdAt.toISOString(), workflowStatus: live?.status, state: live?.state,
      temporalUi: this.workflows.uiLink(record.workflowId), steps: steps.map(toView),
    };
  }

  /** The user's deployments, newest first: records only (`get` adds the live state). */
  async list(user: string, app: string | undefined, limit: number, skip: number): Promise<Array<Omit<DeploymentView, 'steps' | 'temporalUi'>>> {
    const records = await this.db(() => this.deployments.list(user, app, limit, skip));
    return records.map((r) => ({
      id: r._id, workflowId: r.workflowId, user: r.user, repository: r.repository, commit: r.commit, branch: r.branch, app: r.app,
      provider: r.provider, uuid: r.uuid, retryOf: r.retryOf, createdAt: r.createdAt.toISOString(),
    }));
  }

  /**
   * A new run of a failed or canceled deployment from its stored payload, linked by `retryOf` to
   * the first run. One commit has at most one live run: while the newest run of the chain is
   * queued or running, asking again (twice at once, or retrying an older failed run) answers
   * that run with `existing: true` instead of starting another.
   */
  async retry(principal: Principal, id: string, uuid: string): Promise<{ id: string; workflowId: string; retryOf: string; status: 'queued'; uuid: string; existing: boolean }> {
    const asked = await this.owned(principal, id);
    if (asked.workflowId.startsWith('undeploy/')) {
      throw new ApiError('deployments:not_retryable', 409, `Deployment ${id} is an undeployment; ask for it again with POST /1/apps/${asked.user}/${asked.app}/undeploy (or DELETE the app).`);
    }
    const first = asked.retryOf ? ((await this.db(() => this.deployments.findById(asked.retryOf!))) ?? asked) : asked;
    const runs = await this.db(() => this.deployments.countRetries(first._id));
    const newest = runs === 0 ? first : ((await this.db(() => this.deployments.findById(deploymentId(retryWorkflowId(first.workflowId, runs))))) ?? first);
    const live = await this.workflows.state(newest.workflowId);
    const outcome = live?.state?.state;
    if (newest._id !== first._id && (live === null || outcome === 'running')) {
      // Recorded but never started (Temporal was down when it was asked): start it now; idempotent.
      if (live === null) {
        const input = this.intake.input(newest);
        await this.workflows.signalWithStart(newest.workflowId, input, { push: input.push });
      }
      return { id: newest._id, workflowId: newest.workflowId, retryOf: first._id, status: 'queued', uuid, existing: true };
    }
    if (outcome !== 'failed' && outcome !== 'canceled') {
      const which = newest._id === id ? `Deployment ${id}` : `The newest run of this commit, ${newest._id},`;
      throw new ApiError('deployments:not_retryable', 409, `${which} is ${outcome ?? live?.status?.toLowerCase() ?? 'unknown'}; only failed or canceled deployments can be retried.`);
    }
    if (!first.payloadId || !first.branch) throw new ApiError('deployments:not_retryable', 409, `Deployment ${id} never received its GitHub push; there is nothing to retry.`);
    const workflowId = retryWorkflowId(first.workflowId, runs + 1);
    const { record, created } = await this.db(() => this.deployments.insertOrGet({
      ...first, _id: deploymentId(workflowId), workflowId, provider: 'api', uuid, retryOf: first._id, createdAt: new Date(),
    }));
    const input = this.intake.input(record);
    await this.workflows.signalWithStart(workflowId, input, { push: input.push });
    return { id: record._id, workflowId, retryOf: first._id, status: 'queued', uuid, existing: !created };
  }

  /**
   * UNDEPLOY (SPEC 4): the target removes what the app's last deployment put there; with
   * `removeApp` (DELETE /1/apps/…) the app's configuration goes too once that succeeded.
   * Asking again while one runs answers that one; after one succeeded, answers it as finished;
   * after one failed or was canceled, starts another attempt (`…/again-<n>`). Keyed by the app's
   * creation and revision: a re-created or changed app is asked afresh.
   */
  async undeploy(user: string, app: string, uuid: string, removeApp: boolean): Promise<{ id: string; workflowId: string; status: 'queued' | 'finished'; uuid: string }> {
    const config = await this.apps.forName(user, app).catch(() => {
      throw new ApiError('apps:db:failed', 503, 'The app store is not reachable right now. Try again shortly.');
    });
    if (!config) throw new ApiError('apps:not_found', 404, `${user} has no app named ${app}.`);
    const last = config.record.lastDeployment;
    const lastRecord = last ? await this.db(() => this.deployments.findById(last)) : null;
    const revision = config.record.revision ?? 0;
    const createdAt = config.record.createdAt.getTime();
    const first = `undeploy/${user}/${app}/${createdAt}.${revision}/${last ?? 'none'}${removeApp ? '/remove' : ''}`;
    const push = { payloadId: 'undeploy', branch: config.record.branch ?? '', app };
    // No deployment still in flight puts the app back: the UNDEPLOY takes its turn in the app's
    // release line, after the one at the target ends, and the line ends those waiting (SPEC 6.2).
    for (let attempt = 1; ; attempt++) {
      const workflowId = attempt === 1 ? first : `${first}/again-${attempt - 1}`;
      const { record } = await this.db(() => this.deployments.insertOrGet({
        _id: deploymentId(workflowId), workflowId, user, repository: config.record.repository, commit: lastRecord?.commit ?? 'none',
        app, provider: 'api', uuid, createdAt: new Date(),
      }));
      const input = { ...this.intake.input(record), operation: 'UNDEPLOY' as const, undeploys: last, removeApp, appVersion: { createdAt, revision }, push };
      const run = await this.workflows.startUndeployment(workflowId, input);
      if (run === 'running') return { id: record._id, workflowId, status: 'queued', uuid };
      const outcome = (await this.workflows.state(workflowId))?.state?.state;
      if (outcome === 'succeeded') return { id: record._id, workflowId, status: 'finished', uuid };
      if (attempt >= MAX_UNDEPLOY_ATTEMPTS) {
        throw new ApiError('deployments:not_retryable', 409, `${MAX_UNDEPLOY_ATTEMPTS} undeploy attempts of ${app} failed (the last: ${record._id}); fix the app's target, then change the app (PUT) to ask afresh.`);
      }
    }
  }

  async cancel(principal: Principal, id: string, uuid: string): Promise<{ id: string; status: 'cancel_requested'; uuid: string }> {
    const record = await this.owned(principal, id);
    const live = await this.workflows.state(record.workflowId);
    if (live && live.status !== 'RUNNING') {
      throw new ApiError('deployments:not_cancelable', 409, `Deployment ${id} has ended (${live.state?.state ?? live.status.toLowerCase()}); there is nothing to cancel.`);
    }
    await this.workflows.cancel(record.workflowId, `requested by ${principal.user} (${uuid})`);
    return { id, status: 'cancel_requested', uuid };
  }

  private async db<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch {
      throw new ApiError('deployments:db:failed', 503, 'The deployment store is not reachable right now. Try again shortly.');
    }
  }

  private async owned(principal: Principal, id: string): Promise<DeploymentRecord> {
    const record = await this.db(() => this.deployments.findById(id));
    if (!record || (record.user !== principal.user && !principal.admin)) throw new ApiError('deployments:not_found', 404, `No deployment ${id}.`);
    return record;
  }
}
