import { sleep } from '@temporalio/workflow';
import { previewSteps, previewTeardown } from './proxies';
import { DEPLOYMENT_POLL_MS, type RunningPreview } from './running-preview';
import type { PreviewEnd } from '../types';

/** UNDEPLOY attempts of a preview before it is recorded removed with the failure (its target refused each). */
const TEARDOWN_ATTEMPTS = 5;
const RETRY_AFTER_MS = 10 * 60 * 1000;

const WHY: Record<PreviewEnd, string> = {
  closed: 'the pull request was closed',
  ttl: 'no push came within previews.ttl',
  reconciled: 'GitHub says the pull request is closed (a reconciliation found it)',
};

/**
 * The preview's end, once (docs/contract.md#preview-apps): its deployments in flight are canceled,
 * one UNDEPLOY removes it from the target and deletes the preview app, and its record says removed.
 * A failed UNDEPLOY is asked again a few times, each a new attempt of its own.
 */
export async function tearDown(run: RunningPreview, because: PreviewEnd): Promise<void> {
  await previewSteps.markPreview({ ...run.ref, state: 'tearing_down', reason: `Tearing down: ${WHY[because]}.` });
  let failed: string | undefined;
  let deploymentId: string | undefined;
  for (let attempt = 1; attempt <= TEARDOWN_ATTEMPTS; attempt++) {
    deploymentId = (await previewTeardown.startPreviewTeardown({ ...run.ref, attempt, because })).deploymentId;
    if (!deploymentId) break;
    const state = await ended(deploymentId);
    if (state === 'succeeded') {
      failed = undefined;
      break;
    }
    failed = `UNDEPLOY ${deploymentId} ended ${state ?? 'unknown'}`;
    if (attempt < TEARDOWN_ATTEMPTS) await sleep(RETRY_AFTER_MS);
  }
  await previewTeardown.previewRemoved({ ...run.ref, because, deploymentId, failed });
}

async function ended(deploymentId: string): Promise<string | undefined> {
  for (;;) {
    await sleep(DEPLOYMENT_POLL_MS);
    const seen = await previewSteps.previewDeployment({ deploymentId });
    if (seen.ended) return seen.state;
  }
}
