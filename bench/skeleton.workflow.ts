/**
 * The bench's skeleton deployment: registered only in the bench's skeleton worker,
 * never in workflows/. It replays the shape of a real deployment's history, step by step (its
 * activities, local activities, timers and search-attribute upserts, in order), with no-op
 * bodies, so what a real deployment costs beyond it is the product's own work.
 */
import { proxyActivities, proxyLocalActivities, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES } from '../workflows/types';

export type SkeletonStep = { kind: 'activity' | 'local' | 'upsert' } | { kind: 'timer'; ms: number };

export interface SkeletonActivities {
  noop(): Promise<void>;
}

// The real deployment's options for both kinds (workflows/deployment.workflow.ts).
const remote = proxyActivities<SkeletonActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});
const local = proxyLocalActivities<SkeletonActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 5 },
});

export async function skeleton(plan: SkeletonStep[]): Promise<{ state: 'succeeded' }> {
  for (const step of plan) {
    if (step.kind === 'activity') await remote.noop();
    else if (step.kind === 'local') await local.noop();
    else if (step.kind === 'timer') await sleep(step.ms);
    else upsertSearchAttributes({ [SEARCH_ATTRIBUTES.step]: ['skeleton'] });
  }
  return { state: 'succeeded' };
}
