import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { ApiError } from '../errors';
import { cancelSignal, deployment, pushSignal, stateQuery, travisSignal } from '../../workflows/deployment.workflow';
import { DeploymentInput, DeploymentState, PushSignal, SEARCH_ATTRIBUTES, TravisSignal } from '../../workflows/types';

export interface TemporalOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
}
export const TEMPORAL_OPTIONS = Symbol('TEMPORAL_OPTIONS');

const unavailable = (error: unknown) =>
  new ApiError('deploy:temporal:unavailable', 503, `The deployment could not be started: Temporal is not reachable (${(error as Error).message}). Deliver the webhook again shortly.`);

/** The only code in the gateway that talks to Temporal. */
@Injectable()
export class DeploymentWorkflowsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(DeploymentWorkflowsClient.name);
  private readonly connection: Connection;
  private readonly client: Client;

  constructor(@Inject(TEMPORAL_OPTIONS) readonly options: TemporalOptions) {
    // Lazy: the gateway starts and answers 503 while Temporal is down, and recovers without a restart.
    this.connection = Connection.lazy({ address: options.address });
    this.client = new Client({ connection: this.connection, namespace: options.namespace });
  }

  /**
   * Starts the deployment or, when its workflow runs already, signals it: GitHub and Travis
   * meet on the workflow id whichever comes first, and a redelivery changes nothing.
   */
  async signalWithStart(workflowId: string, input: DeploymentInput, signal: { push?: PushSignal; travis?: TravisSignal }): Promise<void> {
    const options = {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [input] as [DeploymentInput],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      searchAttributes: {
        [SEARCH_ATTRIBUTES.user]: [input.user],
        [SEARCH_ATTRIBUTES.repository]: [input.repository],
        [SEARCH_ATTRIBUTES.commit]: [input.commit],
        [SEARCH_ATTRIBUTES.step]: ['received'],
        [SEARCH_ATTRIBUTES.state]: ['running'],
      },
      staticSummary: `Deploy ${input.repository}@${input.commit.slice(0, 7)} for ${input.user}${input.retryOf ? ` (retry of ${input.retryOf})` : ''}`,
    };
    try {
      if (signal.travis) {
        await this.client.workflow.signalWithStart(deployment, { ...options, signal: travisSignal, signalArgs: [signal.travis] });
      } else {
        await this.client.workflow.signalWithStart(deployment, { ...options, signal: pushSignal, signalArgs: [signal.push ?? input.push!] });
      }
    } catch (error) {
      // Closed already (finished, failed or canceled): the deployment exists, nothing to start.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      this.logger.error(`starting ${workflowId} failed: ${(error as Error).message}`);
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
