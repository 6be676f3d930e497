import { Inject, Injectable } from '@nestjs/common';
import { recordDeploymentCreated } from '../metrics';
import type { DeploymentInput, PushSignal, ReleaseSource, TravisSignal } from '../../workflows/types';
import { DeploymentWorkflowsClient } from './deployment-workflows.client';
import { DeploymentRecord, DeploymentsRepository } from './deployments.repository';
import { deploymentId } from './workflow-ids';

export interface StarterSettings {
  /** How long a deployment waits for Travis (and, when Travis came first, for the GitHub push): TRAVIS_WAIT_TIMEOUT. */
  ciTimeoutMs: number;
}
export const STARTER_SETTINGS = Symbol('STARTER_SETTINGS');

/** What starts a deployment; every kind but an undeployment is counted (deployments_total, by cause). */
export type DeploymentKind = 'push' | 'travis' | 'retry' | 'undeploy' | ReleaseSource['cause'];

/** A new deployment's record, less what every new record says (its id, when, received and running unless told otherwise). */
export type NewDeployment = Omit<DeploymentRecord, '_id' | 'createdAt' | 'state' | 'step'> &
  Partial<Pick<DeploymentRecord, 'createdAt' | 'state' | 'step'>>;

/**
 * How the recorded deployment's workflow starts: with the push to signal (absent: the one the
 * record names, as for a retry or Travis after the push), or with Travis' verdict instead (it
 * may come before the push); an explicit action deploys a release's code again; UNDEPLOY is its
 * own workflow type, its push naming the app.
 */
export type StartOptions =
  | { push?: PushSignal; travis?: TravisSignal; release?: ReleaseSource; undeploy?: undefined }
  | { push: PushSignal; undeploy: Pick<DeploymentInput, 'undeploys' | 'removeApp' | 'appVersion'> };

/**
 * The one way a deployment starts, whatever asked for it (a push, Travis, a retry, an
 * undeployment, a rollback, a redeploy, an env change, a promotion): first its record, once
 * (the workflow id is the key: asking again answers the first record), then its workflow,
 * started or, when it runs already, signalled. Two steps, because callers decide in between
 * (a redelivery of an ended deployment starts nothing; a rollback locks the app first), and
 * each answers a store failure with its own API's error.
 */
@Injectable()
export class DeploymentStarter {
  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly workflows: DeploymentWorkflowsClient,
    @Inject(STARTER_SETTINGS) private readonly settings: StarterSettings,
  ) {}

  /** Records the deployment, or answers the record already there for its workflow id (`created` false). */
  async record(kind: DeploymentKind, deployment: NewDeployment): Promise<{ record: DeploymentRecord; created: boolean }> {
    const result = await this.deployments.insertOrGet({
      _id: deploymentId(deployment.workflowId),
      createdAt: new Date(),
      state: 'running',
      step: 'received',
      ...deployment,
    });
    if (result.created && kind !== 'undeploy') recordDeploymentCreated(kind);
    return result;
  }

  /**
   * Starts the recorded deployment's workflow, or signals it when it runs already: 'closed' when
   * it has ended (nothing started or signalled). Throws deploy:temporal:unavailable when Temporal
   * does not answer.
   */
  async start(record: DeploymentRecord, options: StartOptions = {}): Promise<'running' | 'closed'> {
    const input = this.input(record, options.push);
    if (options.undeploy)
      return this.workflows.startUndeployment(record.workflowId, {
        ...input,
        operation: 'UNDEPLOY',
        ...options.undeploy,
        push: options.push,
      });
    if (options.release) input.release = options.release;
    return this.workflows.signalWithStart(record.workflowId, input, options.travis ? { travis: options.travis } : { push: input.push });
  }

  private input(record: DeploymentRecord, push?: PushSignal): DeploymentInput {
    return {
      deploymentId: record._id,
      user: record.user,
      repository: record.repository,
      commit: record.commit,
      uuid: record.uuid,
      provider: record.provider,
      retryOf: record.retryOf,
      ciTimeoutMs: this.settings.ciTimeoutMs,
      push:
        push ?? (record.payloadId && record.branch ? { payloadId: record.payloadId, branch: record.branch, app: record.app } : undefined),
    };
  }
}
