import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PipelineRunActivitiesApi } from '../activities';

const backoff = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;

/**
 * A run's reads and record writes: short and safe to repeat, local activities retried until they
 * get through (a store outage).
 */
export const runSteps = proxyLocalActivities<Pick<PipelineRunActivitiesApi, 'pipelineDeployment' | 'pipelineAppLive' | 'markPipelineRun'>>({
  startToCloseTimeout: '30 seconds',
  retry: backoff,
});

/**
 * A run's promotions and compensations start deployments: regular activities, each keyed by
 * (run, app), so one asked again after its worker died meets the deployment it started
 * (docs/contract.md#release-pipelines).
 */
export const runActions = proxyActivities<Pick<PipelineRunActivitiesApi, 'promotePipelineApp' | 'compensatePipelineApp'>>({
  startToCloseTimeout: '1 minute',
  retry: backoff,
});

/** `pipeline.*` notifications: a courtesy, a few tries, never a stall. */
export const runNotifications = proxyActivities<Pick<PipelineRunActivitiesApi, 'notifyPipeline'>>({
  startToCloseTimeout: '30 seconds',
  retry: { ...backoff, maximumAttempts: 3 },
});
