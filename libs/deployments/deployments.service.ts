import { Injectable } from '@nestjs/common';
import { AppsService } from '../apps';
import type { Principal } from '../auth';
import { askedBy } from '../auth/asked-by';
import { ApiError, Errors, storeCall } from '../errors';
import { StatusEntryView, StatusRepository, toView } from '../status';
import type { DeploymentState, Step } from '../../workflows/types';
import { deploymentId, isUndeployment, retryWorkflowId, undeploymentWorkflowId } from './workflow-ids';
import { DeploymentStarter } from './deployment-starter';
import { DeploymentWorkflowsClient } from './deployment-workflows.client';
import { DeploymentRecord, DeploymentRecordState, DeploymentsRepository, hasEnded } from './deployments.repository';

/** Where a deployment stands, from its MongoDB record (docs/contract.md#the-record-in-mongodb), with the live details a running workflow adds. */
export interface DeploymentStateView {
  state: DeploymentRecordState;
  step?: Step;
  attempt: number;
  app?: string;
  error?: { code: string; message: string };
  timings: Record<string, { startedAt: string; endedAt?: string }>;
  /** While its workflow answers: the target's record states and the CI gate. */
  records?: DeploymentState['records'];
  ci?: DeploymentState['ci'];
  remoteId?: string;
  /** While verifying: the bake's progress (docs/contract.md#verified-releases). */
  bake?: DeploymentState['bake'];
}

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
  /** Explicit actions (rollback, redeploy, env): why and by whom; `rolledBackTo` for a rollback. */
  cause?: string;
  by?: string;
  rolledBackTo?: number;
  /** The release it made, once it succeeded (docs/contract.md#releases). */
  release?: number;
  /** How its code reached the target: uploaded, or a retained release activated (docs/contract.md#activate). */
  delivered?: DeploymentRecord['delivered'];
  /** Its approval and deploy-window wait, when it was held (docs/contract.md#approvals). */
  approval?: DeploymentRecord['approval'];
  window?: DeploymentRecord['window'];
  createdAt: string;
  endedAt?: string;
  /** Temporal's status of the workflow when it still has it; absent once retention removed it. */
  workflowStatus?: string;
  state?: DeploymentStateView;
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
    private readonly starter: DeploymentStarter,
    private readonly apps: AppsService,
  ) {}

  async get(principal: Principal, id: string): Promise<DeploymentView> {
    const record = await this.owned(principal, id);
    // The record answers; the workflow only adds live details, and only while Temporal still has it.
    const [live, steps] = await Promise.all([
      this.workflows.state(record.workflowId).catch(() => null),
      this.db(() => this.status.forDeployment(record._id)),
    ]);
    return {
      ...summary(record),
      workflowStatus: live?.status,
      state: stateView(record, live?.state),
      temporalUi: this.workflows.uiLink(record.workflowId),
      steps: steps.map(toView),
    };
  }

  /** The user's deployments, newest first, from their records; with `apps`, of those apps only (docs/contract.md#collaborators). */
  async list(
    user: string,
    app: string | undefined,
    limit: number,
    skip: number,
    apps?: string[],
  ): Promise<Array<Omit<DeploymentView, 'steps' | 'temporalUi'>>> {
    if (app !== undefined && apps !== undefined && !apps.includes(app))
      throw ApiError.of(Errors.appsNotFound, `${user} has no app named ${app}.`);
    const records = await this.db(() => this.deployments.list(user, app, limit, skip, apps));
    return records.map((r) => ({ ...summary(r), state: stateView(r) }));
  }

  /**
   * A new run of a failed or canceled deployment from its stored payload, linked by `retryOf` to
   * the first run. One commit has at most one live run: while the newest run of the chain is
   * queued or running, asking again (twice at once, or retrying an older failed run) answers
   * that run with `existing: true` instead of starting another.
   */
  async retry(
    principal: Principal,
    id: string,
    uuid: string,
  ): Promise<{ id: string; workflowId: string; retryOf: string; status: 'queued'; uuid: string; existing: boolean }> {
    const asked = await this.owned(principal, id);
    if (isUndeployment(asked.workflowId)) {
      throw ApiError.of(
        Errors.deploymentsNotRetryable,
        `Deployment ${id} is an undeployment; ask for it again with POST /1/apps/${asked.user}/${asked.app}/undeploy (or DELETE the app).`,
      );
    }
    if (asked.cause === 'rollback' || asked.cause === 'redeploy' || asked.cause === 'env') {
      // It deploys a release's code, not a stored push: the action itself is what to ask again.
      const again = asked.cause === 'rollback' ? `rollback {"release": ${asked.rolledBackTo}}` : 'redeploy';
      throw ApiError.of(
        Errors.deploymentsNotRetryable,
        `Deployment ${id} is a ${asked.cause} of ${asked.app}; ask for it again with POST /1/apps/${asked.user}/${asked.app}/${again}.`,
      );
    }
    const first = asked.retryOf ? ((await this.db(() => this.deployments.findById(asked.retryOf!))) ?? asked) : asked;
    const runs = await this.db(() => this.deployments.countRetries(first._id));
    const newest =
      runs === 0
        ? first
        : ((await this.db(() => this.deployments.findById(deploymentId(retryWorkflowId(first.workflowId, runs))))) ?? first);
    const outcome = await this.outcomeOf(newest);
    if (newest._id !== first._id && !isEnded(outcome)) {
      // A run of this commit is live, or was recorded while Temporal was down and never started:
      // (re)starting it is idempotent (a running workflow only takes the push signal again).
      await this.starter.start(newest);
      return { id: newest._id, workflowId: newest.workflowId, retryOf: first._id, status: 'queued', uuid, existing: true };
    }
    if (outcome !== 'failed' && outcome !== 'canceled') {
      const which = newest._id === id ? `Deployment ${id}` : `The newest run of this commit, ${newest._id},`;
      throw ApiError.of(
        Errors.deploymentsNotRetryable,
        `${which} is ${outcome ?? 'unknown'}; only failed or canceled deployments can be retried.`,
      );
    }
    if (!first.payloadId || !first.branch)
      throw ApiError.of(Errors.deploymentsNotRetryable, `Deployment ${id} never received its GitHub push; there is nothing to retry.`);
    const workflowId = retryWorkflowId(first.workflowId, runs + 1);
    const { record, created } = await this.db(() =>
      this.starter.record('retry', {
        workflowId,
        user: first.user,
        repository: first.repository,
        commit: first.commit,
        branch: first.branch,
        app: first.app,
        payloadId: first.payloadId,
        provider: 'api',
        uuid,
        retryOf: first._id,
        by: askedBy(principal),
      }),
    );
    await this.starter.start(record);
    return { id: record._id, workflowId, retryOf: first._id, status: 'queued', uuid, existing: !created };
  }

  /**
   * UNDEPLOY (docs/contract.md#undeploy): the target removes what the app's last deployment put there; with
   * `removeApp` (DELETE /1/apps/…) the app's configuration goes too once that succeeded.
   * Asking again while one runs answers that one; after one succeeded, answers it as finished;
   * after one failed or was canceled, starts another attempt (`…/again-<n>`). Keyed by the app's
   * creation and revision: a re-created or changed app is asked afresh.
   */
  async undeploy(
    user: string,
    app: string,
    uuid: string,
    removeApp: boolean,
  ): Promise<{ id: string; workflowId: string; status: 'queued' | 'finished'; uuid: string }> {
    const config = await storeCall(Errors.appsDbFailed, () => this.apps.forName(user, app));
    if (!config) throw ApiError.of(Errors.appsNotFound, `${user} has no app named ${app}.`);
    const last = config.record.lastDeployment;
    const lastRecord = last ? await this.db(() => this.deployments.findById(last)) : null;
    const revision = config.record.revision ?? 0;
    const createdAt = config.record.createdAt.getTime();
    const push = { payloadId: 'undeploy', branch: config.record.branch ?? '', app };
    // No deployment still in flight puts the app back: the UNDEPLOY takes its turn in the app's
    // release line, after the one at the target ends, and the line ends those waiting (docs/contract.md#one-deployment-at-a-time).
    for (let attempt = 1; ; attempt++) {
      const workflowId = undeploymentWorkflowId({ user, name: app, createdAt, revision }, last, removeApp, attempt);
      const { record } = await this.db(() =>
        this.starter.record('undeploy', {
          workflowId,
          user,
          repository: config.record.repository,
          commit: lastRecord?.commit ?? 'none',
          app,
          provider: 'api',
          uuid,
        }),
      );
      const undeploy = { undeploys: last, removeApp, appVersion: { createdAt, revision } };
      const run = await this.starter.start(record, { push, undeploy });
      if (run === 'running') return { id: record._id, workflowId, status: 'queued', uuid };
      const outcome = await this.outcomeOf((await this.db(() => this.deployments.findById(record._id))) ?? record);
      if (outcome === 'succeeded') return { id: record._id, workflowId, status: 'finished', uuid };
      if (attempt >= MAX_UNDEPLOY_ATTEMPTS) {
        throw ApiError.of(
          Errors.deploymentsNotRetryable,
          `${MAX_UNDEPLOY_ATTEMPTS} undeploy attempts of ${app} failed (the last: ${record._id}); fix the app's target, then change the app (PUT) to ask afresh.`,
        );
      }
    }
  }

  async cancel(principal: Principal, id: string, uuid: string): Promise<{ id: string; status: 'cancel_requested'; uuid: string }> {
    const record = await this.owned(principal, id);
    const outcome = await this.outcomeOf(record);
    if (isEnded(outcome))
      throw ApiError.of(Errors.deploymentsNotCancelable, `Deployment ${id} has ended (${outcome}); there is nothing to cancel.`);
    await this.workflows.cancel(record.workflowId, `requested by ${principal.user} (${uuid})`);
    return { id, status: 'cancel_requested', uuid };
  }

  /**
   * Where the deployment stands: its record (docs/contract.md#the-record-in-mongodb). Records written before records carried a
   * state fall back to the workflow, while Temporal still has it.
   */
  private async outcomeOf(record: DeploymentRecord): Promise<DeploymentRecordState | 'running' | undefined> {
    if (record.state) return record.state;
    const live = await this.workflows.state(record.workflowId);
    return live?.state?.state ?? (live?.status === 'RUNNING' ? 'running' : undefined);
  }

  private db<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.deploymentsDbFailed, operation);
  }

  /**
   * The deployment, for its owner, an admin, or a collaborator of its app whose role allows the
   * route (checked before, by the route's RequiresRole: docs/contract.md#collaborators); a
   * deployment of no app is its owner's alone.
   */
  private async owned(principal: Principal, id: string): Promise<DeploymentRecord> {
    const record = await this.db(() => this.deployments.findById(id));
    if (!record || (record.user !== principal.user && !principal.admin && !record.app))
      throw ApiError.of(Errors.deploymentsNotFound, `No deployment ${id}.`);
    return record;
  }
}

const isEnded = (state: string | undefined) => state !== undefined && hasEnded({ state: state as DeploymentRecordState });

function summary(r: DeploymentRecord): Omit<DeploymentView, 'steps' | 'temporalUi' | 'state'> {
  return {
    id: r._id,
    workflowId: r.workflowId,
    user: r.user,
    repository: r.repository,
    commit: r.commit,
    branch: r.branch,
    app: r.app,
    provider: r.provider,
    uuid: r.uuid,
    retryOf: r.retryOf,
    cause: r.cause,
    by: r.by,
    rolledBackTo: r.rolledBackTo,
    release: r.release,
    delivered: r.delivered,
    ...(r.approval && { approval: r.approval }),
    ...(r.window && { window: r.window }),
    createdAt: r.createdAt.toISOString(),
    endedAt: r.endedAt?.toISOString(),
  };
}

/** The record's state; a live workflow adds the target's records and the CI gate. Older records (no state) show the live one. */
function stateView(record: DeploymentRecord, live?: DeploymentState): DeploymentStateView | undefined {
  const details = live && { records: live.records, ci: live.ci, remoteId: live.remoteId, ...(live.bake ? { bake: live.bake } : {}) };
  if (!record.state) return live && { ...live, timings: live.timings, state: live.state, ...details };
  const timings: DeploymentStateView['timings'] = {};
  for (const [step, t] of Object.entries(record.timings ?? {}))
    timings[step] = { startedAt: t.startedAt.toISOString(), endedAt: t.endedAt?.toISOString() };
  return {
    state: record.state,
    step: record.step,
    attempt: record.attempt ?? 1,
    app: record.app ?? live?.app,
    error: record.error,
    timings,
    ...details,
  };
}
