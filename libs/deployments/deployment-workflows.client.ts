import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { ApiError } from '../errors';
import { registerSearchAttributes } from './temporal';
import { cancelSignal, ciSignal, deployment, pushSignal, stateQuery, supersedeSignal, travisSignal } from '../../workflows/deployment.workflow';
import { CiSignal, DeploymentInput, DeploymentState, PushSignal, SEARCH_ATTRIBUTES, TravisSignal } from '../../workflows/types';

export interface TemporalOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
}
export const TEMPORAL_OPTIONS = Symbol('TEMPORAL_OPTIONS');

const START_DEADLINE_MS = 5_000;

const unavailable = (error: unknown) =>
  new ApiError('deploy:temporal:unavailable', 503, `The deployment could not be started: Temporal is not reachable (${(error as Error).message}). Deliver the webhook again shortly.`);

/** The only code in the gateway that talks to Temporal. */
@Injectable()
export class DeploymentWorkflowsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(DeploymentWorkflowsClient.name);
  private readonly connection: Connection;
  private readonly client: Client;
  private searchAttributesReady = false;

  constructor(@Inject(TEMPORAL_OPTIONS) readonly options: TemporalOptions) {
    // Lazy: the gateway starts and answers 503 while Temporal is down, and recovers without a restart.
    this.connection = Connection.lazy({ address: options.address, connectTimeout: '3 seconds' });
    this.client = new Client({ connection: this.connection, namespace: options.namespace });
  }

  /**
   * Starts the deployment or, when its workflow runs already, signals it: GitHub and Travis
   * meet on the workflow id whichever comes first, and a redelivery changes nothing. Answers
   * 'closed' when the deployment's workflow has ended already (nothing started or signalled).
   */
  async signalWithStart(workflowId: string, input: DeploymentInput, signal: { push?: PushSignal; travis?: TravisSignal }): Promise<'running' | 'closed'> {
    await this.ensureSearchAttributes();
    // Known at start when the push names a configured app; otherwise the workflow sets it at resolve.
    const app = signal.push?.app ?? input.push?.app;
    const options = {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [input] as [DeploymentInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      searchAttributes: {
        [SEARCH_ATTRIBUTES.user]: [input.user],
        [SEARCH_ATTRIBUTES.repository]: [input.repository],
        [SEARCH_ATTRIBUTES.commit]: [input.commit],
        ...(app ? { [SEARCH_ATTRIBUTES.app]: [app] } : {}),
        [SEARCH_ATTRIBUTES.step]: ['received'],
        [SEARCH_ATTRIBUTES.state]: ['running'],
      },
      staticSummary: `Deploy ${input.repository}@${input.commit.slice(0, 7)} for ${input.user}${input.retryOf ? ` (retry of ${input.retryOf})` : ''}`,
    };
    try {
      // Bounded well inside GitHub's 10 s delivery timeout; the gRPC client would retry longer.
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        signal.travis
          ? this.client.workflow.signalWithStart(deployment, { ...options, signal: travisSignal, signalArgs: [signal.travis] })
          : this.client.workflow.signalWithStart(deployment, { ...options, signal: pushSignal, signalArgs: [signal.push ?? input.push!] }),
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
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () => registerSearchAttributes(this.connection, this.options.namespace));
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

  async cancel(workflowId: string, reason: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(cancelSignal, { reason });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return;
      throw unavailable(error);
    }
  }

  /** Workflow ids of the app's deployments still running (Temporal's visibility, by search attributes). */
  async runningDeployments(user: string, app: string): Promise<string[]> {
    const quote = (value: string) => `"${value.replace(/["\\]/g, '')}"`;
    const query = `${SEARCH_ATTRIBUTES.user} = ${quote(user)} AND ${SEARCH_ATTRIBUTES.app} = ${quote(app)} AND ExecutionStatus = "Running"`;
    const ids: string[] = [];
    try {
      for await (const workflow of this.client.workflow.list({ query })) {
        if (workflow.workflowId.startsWith('deployment/')) ids.push(workflow.workflowId);
      }
    } catch (error) {
      throw unavailable(error);
    }
    return ids;
  }

  /** Tells an older deployment of the same branch that a newer push arrived; gone ones are ignored. */
  async supersede(workflowId: string, by: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowId).signal(supersedeSignal, { by });
    } catch (error) {
      this.logger.debug(`supersede ${workflowId}: ${(error as Error).message}`);
    }
  }

  /** Wakes a deployment waiting for GitHub checks; false when its workflow is not running (nothing waits). */
  async signalCi(workflowId: string, signal: CiSignal): Promise<boolean> {
    try {
      await this.connection.withDeadline(Date.now() + START_DEADLINE_MS, () => this.client.workflow.getHandle(workflowId).signal(ciSignal, signal));
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw unavailable(error);
    }
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
    await this.connection.close().catch(() => undefined);
  }
}
