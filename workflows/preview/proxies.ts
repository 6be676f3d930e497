import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PreviewActivitiesApi } from '../activities';

const backoff = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;

/**
 * The preview's short steps: a record read or written, a deployment recorded and signalled with
 * start, one GitHub read. Each is safe to repeat (ids derive from the pull request and the
 * commit), so they run as local activities, retried until they get through (a store outage).
 */
export const previewSteps = proxyLocalActivities<
  Pick<PreviewActivitiesApi, 'deployPreviewHead' | 'markPreview' | 'previewDeployment' | 'notifyPreviewReady'>
>({ startToCloseTimeout: '30 seconds', retry: backoff });

/** GitHub's state of the pull request: one try per reconciliation; a failure waits for the next one. */
export const pullRequests = proxyLocalActivities<Pick<PreviewActivitiesApi, 'pullRequestState'>>({
  startToCloseTimeout: '30 seconds',
  retry: { ...backoff, maximumAttempts: 3 },
});

/**
 * The teardown's steps are regular activities: each exists once its task is accepted, and the
 * UNDEPLOY it starts is written to the preview's record first, so a worker killed mid-teardown
 * never starts a second one (docs/contract.md#preview-apps).
 */
export const previewTeardown = proxyActivities<Pick<PreviewActivitiesApi, 'startPreviewTeardown' | 'previewRemoved'>>({
  startToCloseTimeout: '1 minute',
  retry: backoff,
});
