import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Priority, WorkflowIdReusePolicy } from '@temporalio/common';
import { TemporalConnectionSettings } from '../config';
import { ApiError, Errors } from '../errors';
import { lineWorkflowId, notificationWorkflowId } from './workflow-ids';
import { registerSearchAttributes } from './temporal';
import { ClosableConnection, TemporalConnectionOptions, temporalConnectionOptions, watchTemporalCertificates } from './temporal-connection';
import {
  approveUpdate,
  cancelSignal,
  ciSignal,
  deployment,
  deployNowUpdate,
  pushSignal,
  rejectUpdate,
  stateQuery,
  travisSignal,
} from '../../workflows/deployment.workflow';
import { line, lineEventSignal } from '../../workflows/line.workflow';
import { notification } from '../../workflows/notification.workflow';
import { undeployment } from '../../workflows/undeployment.workflow';
import {
  ApprovalAnswer,
  ApprovalRequest,
  CiSignal,
  DeployNowRequest,
  DeploymentInput,
  DeploymentState,
  LineEvent,
  PushSignal,
  SEARCH_ATTRIBUTES,
  TravisSignal,
  PreviewEvent,
  PreviewInput,
} from '../../workflows/types';
import { approvePreviewHeadUpdate, preview, previewEventSignal } from '../../workflows/preview.workflow';
import { approveStageUpdate, pipelineRun, rejectStageUpdate } from '../../workflows/pipeline-run.workflow';
import type { PipelineRunInput } from '../../workflows/types';

export interface TemporalOptions extends TemporalConnectionSettings {
  namespace: string;
  taskQueue: string;
  notificationsTaskQueue: string;
  uiUrl: string;
}
export const TEMPORAL_OPTIONS = Symbol('TEMPORAL_OPTIONS');

const START_DEADLINE_MS = 5_000;
/** An Update waits for a worker to run the validator and handler: longer than a start, still well inside an HTTP client's patience. */
const UPDATE_DEADLINE_MS = 20_000;

/** An Update the workflow refused: the catalogue code and its sentence (docs/contract.md#approvals). */
export interface UpdateRefusal {
  refused: string;
  message: string;
}
/** A connection replaced by a renewed certificate is closed this much later, after the calls it carries. */
const REPLACED_CONNECTION_GRACE_MS = 60_000;

/**
 * Every workflow carries its user as Temporal's fairness key (its activities inherit it): where the
 * server balances a backlogged task queue by key, one user's burst waits behind nobody else's
 * deployment for more than a share of the slots (docs/reliability.md#tenant-isolation-review).
 */
const fairFor = (user: string): Priority => ({ fairnessKey: user.slice(0, 64) });

const unavailable = (error: unknown) =>
  ApiError.of(
    Errors.deployTemporalUnavailable,
    `The deployment could not be started: Temporal is not reachable (${(error as Error).message}). Deliver the webhook again shortly.`,
  );

/** The only code in the gateway that talks to Temporal. */
@Injectable()
export class DeploymentWorkflowsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(DeploymentWorkflowsClient.name);
  private connection!: Connection;
  private client!: Client;
  private searchAttributesReady = false;
  private readonly stopWatching: () => void;
  /** Connections replaced by a renewal, each closed by its timer (or at shutdown). */
  private readonly replaced = new Map<NodeJS.Timeout, ClosableConnection>();
  private closable!: ClosableConnection;

  constructor(@Inject(TEMPORAL_OPTIONS) readonly options: TemporalOptions) {
    this.connect(temporalConnectionOptions(options));
    this.stopWatching = watchTemporalCertificates(options, (renewed) => {
      const previous = this.closable;
      this.connect(renewed);
      const timer = setTimeout(() => {
        this.replaced.delete(timer);
        void previous.close().catch(() => undefined);
      }, REPLACED_CONNECTION_GRACE_MS).unref();
      this.replaced.set(timer, previous);
    });
  }

  /** Lazy: the gateway starts and answers 503 while Temporal is down, and recovers without a restart. */
  private connect(connection: TemporalConnectionOptions): void {
    this.closable = new ClosableConnection({ ...connection, connectTimeout: '3 seconds' });
    this.connection = this.closable.connection;
    this.client = new Client({ connection: this.connection, namespace: this.options.namespace });
  }

  /**
   * Starts the deployment or, when its workflow runs already, signals it: GitHub and Travis
   * meet on the workflow id whichever comes first, and a redelivery changes nothing. Answers
   * 'closed' when the deployment's workflow has ended already (nothing started or signalled).
   */
  async signalWithStart(
    workflowId: string,
    input: DeploymentInput,
    signal: { push?: PushSignal; travis?: TravisSignal },
  ): Promise<'running' | 'closed'> {
    return this.start(deployment, workflowId, input, signal);
  }

  /** UNDEPLOY, its own workflow type (asked again while it runs, it is signalled, as a deployment is). */
  async startUndeployment(workflowId: string, input: DeploymentInput & { push: PushSignal }): Promise<'running' | 'closed'> {
    return this.start(undeployment, workflowId, input, { push: input.push });
  }

  private async start(
    type: typeof deployment,
    workflowId: string,
    input: DeploymentInput,
    signal: { push?: PushSignal; travis?: TravisSignal },
  ): Promise<'running' | 'closed'> {
    await this.ensureSearchAttributes();
    // Known at start when the push names a configured app; otherwise the workflow sets it at resolve.
    const app = signal.push?.app ?? input.push?.app;
    const options = {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [input] as [DeploymentInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      priority: fairFor(input.user),
      searchAttributes: {
        [SEARCH_ATTRIBUTES.user]: [input.user],
        [SEARCH_ATTRIBUTES.repository]: [input.repository],
        [SEARCH_ATTRIBUTES.commit]: [input.commit],
        ...(app ? { [SEARCH_ATTRIBUTES.app]: [app] } : {}),
        [SEARCH_ATTRIBUTES.step]: ['received'],
        [SEARCH_ATTRIBUTES.state]: ['running'],
      },
      staticSummary:
        input.operation === 'UNDEPLOY'
          ? `Undeploy ${input.push?.app ?? input.repository} for ${input.user}`
          : `Deploy ${input.repository}@${input.commit.slice(0, 7)} for ${input.user}${input.retryOf ? ` (retry of ${input.retryOf})` : ''}`,
    };
    try {
      // Bounded well inside GitHub's 10 s delivery timeout; the gRPC client would retry longer.
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        signal.travis
          ? this.client.workflow.signalWithStart(type, { ...options, signal: travisSignal, signalArgs: [signal.travis] })
          : this.client.workflow.signalWithStart(type, { ...options, signal: pushSignal, signalArgs: [signal.push ?? input.push!] }),
      );
      return 'running';
    } catch (error) {
      // Closed already (finished, failed or canceled): the deployment exists, nothing to start.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
      const cause = (error as Error & { cause?: Error }).cause;
      this.logger.error(`starting ${workflowId} failed: ${(error as Error).message}${cause ? ` (${cause.message})` : ''}`);
      throw unavailable(error);
    }
  }

  /**
   * Starts carry search attributes, which must be registered first; the worker registers them
   * at start-up, and so does the gateway before its first start (it may run before any worker).
   */
  private async ensureSearchAttributes(): Promise<void> {
    if (this.searchAttributesReady) return;
    try {
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        registerSearchAttributes(this.connection, this.options.namespace),
      );
      this.searchAttributesReady = true;
    } catch (error) {
      throw unavailable(error);
    }
  }

  async state(workflowId: string): Promise<{ status: string; state?: DeploymentState } | null> {
    try {
      const handle = this.client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      const state = await handle.query(stateQuery).catch(() => undefined);
      return { status: description.status.name, state };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw unavailable(error);
    }
  }

  /**
   * Where the workflow stands in Temporal (RUNNING, COMPLETED, TERMINATED, TIMED_OUT, …); null
   * when Temporal has no such workflow (deleted, or past the namespace's retention). Throws when
   * Temporal is not reachable: the caller must not take that for "gone".
   */
  async workflowStatus(workflowId: string): Promise<string | null> {
    try {
      const description = await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.client.workflow.getHandle(workflowId).describe(),
      );
      return description.status.name;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }

  /**
   * Tells the app's release line that a deployment has left it (its workflow ended without
   * saying so), when the line is running; a line that is not running holds nobody.
   */
  async leaveLine(user: string, app: string, deploymentId: string): Promise<void> {
    try {
      await this.client.workflow
        .getHandle(lineWorkflowId(user, app, this.options.taskQueue))
        .signal(lineEventSignal, { type: 'leave', deploymentId });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  async cancel(workflowId: string, reason: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(cancelSignal, { reason });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return;
      throw unavailable(error);
    }
  }

  /** Tells the app's release line about a deployment, starting the line when it is not running (the worker's activities call this). */
  async signalLine(user: string, app: string, event: LineEvent): Promise<void> {
    await this.client.workflow.signalWithStart(line, {
      workflowId: lineWorkflowId(user, app, this.options.taskQueue),
      taskQueue: this.options.taskQueue,
      args: [{ user, app }],
      signal: lineEventSignal,
      signalArgs: [event],
      priority: fairFor(user),
      searchAttributes: { [SEARCH_ATTRIBUTES.user]: [user], [SEARCH_ATTRIBUTES.app]: [app] },
      staticSummary: `Release line of ${app} for ${user}`,
    });
  }

  /**
   * Starts one delivery of a notification on the notifications' own task queue, so that slow
   * subscribers hold only the notification worker's slots, never a deployment's; a second start of
   * the same delivery (the notifying activity ran again) changes nothing.
   */
  async startNotification(delivery: { id: string; user: string; redelivery?: number }): Promise<void> {
    try {
      await this.client.workflow.start(notification, {
        workflowId: notificationWorkflowId(delivery.id, delivery.redelivery),
        taskQueue: this.options.notificationsTaskQueue,
        args: [{ deliveryId: delivery.id }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        priority: fairFor(delivery.user),
        staticSummary: `Notification delivery ${delivery.id}`,
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      throw error;
    }
  }

  /** Wakes a deployment waiting for GitHub checks; false when its workflow is not running (nothing waits). */
  async signalCi(workflowId: string, signal: CiSignal): Promise<boolean> {
    try {
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.client.workflow.getHandle(workflowId).signal(ciSignal, signal),
      );
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw unavailable(error);
    }
  }

  /**
   * An approve or reject Update (docs/contract.md#approvals): the workflow's validator decides. A
   * refusal answers `{refused}` with the catalogue code the validator gave (a workflow that has
   * ended, or never reached its approval, is `deploy:approval:closed`); Temporal down throws.
   */
  async decide(workflowId: string, decision: 'approve' | 'reject', request: ApprovalRequest): Promise<ApprovalAnswer | UpdateRefusal> {
    return this.update(workflowId, () =>
      this.client.workflow.getHandle(workflowId).executeUpdate(decision === 'approve' ? approveUpdate : rejectUpdate, { args: [request] }),
    );
  }

  /** The deploy-now Update (docs/contract.md#deploy-windows-and-freezes), refused as `decide` is. */
  async deployNow(workflowId: string, request: DeployNowRequest): Promise<{ proceeds: true } | UpdateRefusal> {
    return this.update(workflowId, () => this.client.workflow.getHandle(workflowId).executeUpdate(deployNowUpdate, { args: [request] }));
  }

  private async update<T>(workflowId: string, call: () => Promise<T>): Promise<T | UpdateRefusal> {
    try {
      return await this.connection.withDeadline(Date.now() + UPDATE_DEADLINE_MS, call);
    } catch (error) {
      const closed = { refused: Errors.deployApprovalClosed.code, message: `The deployment's workflow is not waiting for a decision.` };
      if (error instanceof WorkflowNotFoundError) return closed;
      if (error instanceof WorkflowUpdateFailedError) {
        const cause = error.cause;
        if (cause instanceof ApplicationFailure && cause.type?.startsWith('deploy:approval:'))
          return { refused: cause.type, message: cause.message };
        return closed; // no handler (it never reached the stage), or it ended meanwhile
      }
      if (/workflow execution already completed/i.test((error as Error).message)) return closed;
      this.logger.error(`update of ${workflowId} failed: ${(error as Error).message}`);
      throw unavailable(error);
    }
  }

  /**
   * A pull request's event to its preview workflow (docs/contract.md#preview-apps), started with it
   * when it does not run; false when the preview's workflow has ended (torn down: nothing starts again).
   */
  async signalPreview(input: PreviewInput, workflowId: string, event: PreviewEvent): Promise<boolean> {
    await this.ensureSearchAttributes();
    try {
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.client.workflow.signalWithStart(preview, {
          workflowId,
          taskQueue: this.options.taskQueue,
          args: [input],
          signal: previewEventSignal,
          signalArgs: [event],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          priority: fairFor(input.user),
          searchAttributes: { [SEARCH_ATTRIBUTES.user]: [input.user], [SEARCH_ATTRIBUTES.app]: [input.app] },
          staticSummary: `Preview of pull request #${input.pr} of ${input.app} for ${input.user}`,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw unavailable(error);
    }
  }

  /**
   * Approves the fork's head that waits in a preview (docs/contract.md#preview-apps): a Temporal
   * Update, refused by its validator unless `sha` is the head waiting (`deploy:approval:closed`, as
   * `decide` refuses). Who may approve is the caller's to check.
   */
  async approvePreviewHead(workflowId: string, approval: { sha: string; by: string }): Promise<{ deploys: string } | UpdateRefusal> {
    return this.update(workflowId, () =>
      this.client.workflow.getHandle(workflowId).executeUpdate(approvePreviewHeadUpdate, { args: [approval] }),
    );
  }

  /**
   * Starts a release pipeline's run (docs/contract.md#release-pipelines) on the pipeline's one
   * workflow id, allowed again once the last run has closed: `running` when a run is running
   * already (Temporal refused the start), so there is never more than one.
   */
  async startPipelineRun(workflowId: string, input: PipelineRunInput): Promise<'started' | 'running'> {
    await this.ensureSearchAttributes();
    try {
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.client.workflow.start(pipelineRun, {
          workflowId,
          taskQueue: this.options.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          priority: fairFor(input.user),
          searchAttributes: { [SEARCH_ATTRIBUTES.user]: [input.user], [SEARCH_ATTRIBUTES.app]: [input.source] },
          staticSummary: `Run ${input.runId} of pipeline ${input.pipeline} for ${input.user}: v${input.release} of ${input.source}`,
        }),
      );
      return 'started';
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return 'running';
      throw unavailable(error);
    }
  }

  /** The approve or reject Update of a run's stage, refused as `decide` is (the run's validator decides). */
  async decidePipelineStage(
    workflowId: string,
    decision: 'approve' | 'reject',
    request: ApprovalRequest,
  ): Promise<ApprovalAnswer | UpdateRefusal> {
    return this.update(workflowId, () =>
      this.client.workflow
        .getHandle(workflowId)
        .executeUpdate(decision === 'approve' ? approveStageUpdate : rejectStageUpdate, { args: [request] }),
    );
  }

  async result(workflowId: string): Promise<unknown> {
    return this.client.workflow.getHandle(workflowId).result();
  }

  /** Health check: a cheap call that needs the Temporal frontend. */
  async ping(): Promise<void> {
    await this.connection.withDeadline(Date.now() + 3_000, () => this.connection.workflowService.getSystemInfo({}));
  }

  uiLink(workflowId: string): string {
    return `${this.options.uiUrl}/namespaces/${encodeURIComponent(this.options.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopWatching();
    for (const [timer, previous] of this.replaced) {
      clearTimeout(timer);
      await previous.close();
    }
    await this.closable.close();
  }
}
