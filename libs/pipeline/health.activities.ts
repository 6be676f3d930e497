import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApiError, Errors } from '../errors';
import { recordHealthCheck } from '../metrics';
import { ReleasesService } from '../releases';
import { HealthCheckClient, OutboundPolicy } from '../targets';
import type { DeploymentRef, HealthActivitiesApi } from '../../workflows/activities';
import type { AutoRollbackResult, HealthProbeResult } from '../../workflows/types';
import { Activity } from './activity';

/** The worker's outbound rules (TARGET_ALLOW / TARGET_DENY): a health URL is user input, as a target is. */
export const HEALTH_OUTBOUND = Symbol('HEALTH_OUTBOUND');

const HEARTBEAT_MS = 1_000;

/**
 * The health-checked bake's activities (docs/contract.md#verified-releases): one probe per
 * activity (the workflow sleeps between them on durable timers, so a baking deployment holds no
 * activity slot), and the automatic rollback after a failed bake.
 */
@Injectable()
export class HealthActivities implements HealthActivitiesApi {
  private readonly logger = new Logger('HealthChecks');
  private readonly client: HealthCheckClient;

  constructor(
    private readonly releases: ReleasesService,
    @Inject(HEALTH_OUTBOUND) outbound: OutboundPolicy,
  ) {
    this.client = new HealthCheckClient(outbound);
  }

  @Activity()
  async probeHealth(input: Parameters<HealthActivitiesApi['probeHealth']>[0]): Promise<HealthProbeResult> {
    const context = Context.current();
    // A worker lost mid-probe is noticed by its missing heartbeat, not at the probe's 70 s bound.
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
    let result: HealthProbeResult;
    try {
      result = await this.client.probe(input.check, context.cancellationSignal);
    } finally {
      clearInterval(heartbeat);
    }
    recordHealthCheck(result.ok ? 'pass' : 'fail');
    return result;
  }

  @Activity()
  async autoRollback(input: DeploymentRef & { app: string; reason: string }): Promise<AutoRollbackResult> {
    try {
      const started = await this.releases.autoRollback(input.user, input.app, input.deploymentId);
      if ('nothing' in started) return { started: false, reason: started.nothing };
      this.logger.log({
        msg: `${input.user}/${input.app}: bake of ${input.deploymentId} failed (${input.reason}); rolling back to v${started.rolledBackTo} as ${started.id}`,
        deploymentId: input.deploymentId,
      });
      return { started: true, deploymentId: started.id, release: started.release, rolledBackTo: started.rolledBackTo! };
    } catch (error) {
      // The app is gone, or its release's code can no longer be had: nothing to roll back; a store outage is retried.
      if (error instanceof ApiError && error.code !== Errors.appsDbFailed.code) return { started: false, reason: error.message };
      throw ApplicationFailure.retryable((error as Error).message, Errors.appsDbFailed.code);
    }
  }
}
