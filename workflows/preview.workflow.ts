import { condition, continueAsNew, defineQuery, defineSignal, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';
import { pullRequests, previewSteps } from './preview/proxies';
import { DEPLOYMENT_POLL_MS, RECONCILE_MS, RunningPreview } from './preview/running-preview';
import { tearDown } from './preview/teardown';
import type { PreviewEnd, PreviewEvent, PreviewHead, PreviewInput, PreviewWorkflowState } from './types';

export { DEFAULT_TTL_MS, RECONCILE_MS } from './preview/running-preview';

/** A `pull_request` event of the preview's pull request (signal-with-start from the gateway's intake). */
export const previewEventSignal = defineSignal<[PreviewEvent]>('previewEvent');
export const previewStateQuery = defineQuery<PreviewWorkflowState>('previewState');
/**
 * The approval of a fork's head that waits (docs/contract.md#preview-apps): the hook the approvals
 * plug into (who may approve is theirs to decide before they call it). Refused unless `sha` is the
 * head waiting now; accepted, the head deploys.
 */
export const approvePreviewHeadUpdate = defineUpdate<{ deploys: string }, [{ sha: string; by: string }]>('approvePreviewHead');

/** Events handled per run before continue-as-new. */
const EVENTS_PER_RUN = 500;

/**
 * The preview app of one pull request of an app (docs/contract.md#preview-apps), one workflow per
 * (user, app, pull request) for the preview's whole life: each new head deploys in the preview
 * app's own line (newest wins there, as for any app); `closed`, the TTL without a push, or a
 * reconciliation that finds the pull request closed tears it down, once; then the workflow ends
 * and the preview's record answers later events.
 */
export async function preview(input: PreviewInput): Promise<{ removed: PreviewEnd }> {
  const run = new RunningPreview(input, Date.now());
  setHandler(previewEventSignal, (event) => run.queue(event));
  setHandler(previewStateQuery, () => run.view());
  setHandler(
    approvePreviewHeadUpdate,
    ({ sha, by }) => {
      run.queue({ type: 'approved', sha, by });
      return { deploys: sha };
    },
    { validator: (approval: { sha: string; by: string }) => run.checkApprovable(approval.sha) },
  );
  const reconcileMs = input.reconcileMs ?? RECONCILE_MS;
  let reconcileAt = Date.now() + reconcileMs;
  while (!run.ending) {
    const wake = Math.min(run.ttlEndsAt(), reconcileAt, run.deploying() ? Date.now() + DEPLOYMENT_POLL_MS : Infinity);
    const woke = await condition(() => run.hasEvents(), Math.max(wake - Date.now(), 1));
    if (woke) await handle(run, run.next()!);
    else if (Date.now() >= run.ttlEndsAt()) run.end('ttl');
    else {
      if (Date.now() >= reconcileAt) {
        if ((await pullRequests.pullRequestState(run.ref).catch(() => 'unknown')) === 'closed') run.end('reconciled');
        reconcileAt = Date.now() + reconcileMs;
      }
      if (!run.ending && run.deploying()) await lookAtDeployment(run);
    }
    if (!run.ending && !run.hasEvents() && (run.handled >= (input.eventsPerRun ?? EVENTS_PER_RUN) || workflowInfo().continueAsNewSuggested))
      await continueAsNew<typeof preview>({ ...input, carried: run.carried });
  }
  await tearDown(run, run.ending);
  return { removed: run.ending };
}

async function handle(run: RunningPreview, event: PreviewEvent): Promise<void> {
  if (event.type === 'closed') return run.end('closed');
  if (event.type === 'approved') {
    const waiting = run.carried.awaiting;
    if (waiting?.sha !== event.sha) return; // a newer head replaced it meanwhile
    run.carried.awaiting = undefined;
    return deploy(run, waiting);
  }
  run.pushed(event.head, Date.now());
  if (event.head.fork && run.input.forks === 'approve') return awaitApproval(run, event.head);
  await deploy(run, event.head);
}

/** A new head goes to the preview app's line at once: the line supersedes an older one still waiting there. */
async function deploy(run: RunningPreview, head: PreviewHead): Promise<void> {
  if (run.carried.current?.sha === head.sha) return; // a redelivery, or `reopened` with the same head
  const started = await previewSteps.deployPreviewHead({ ...run.ref, head });
  if (!started) return run.end('closed'); // the record says the preview is over
  run.carried.current = { sha: head.sha, deploymentId: started.deploymentId, ready: false };
}

/**
 * A fork's pull request receives the app's env: each of its heads waits for an approval
 * (docs/contract.md#preview-apps), given through approvePreviewHeadUpdate; until then it waits, visibly.
 */
async function awaitApproval(run: RunningPreview, head: PreviewHead): Promise<void> {
  run.carried.awaiting = head;
  await previewSteps.markPreview({
    ...run.ref,
    state: 'awaiting_approval',
    sha: head.sha,
    reason: `${head.sha.slice(0, 7)} from the fork ${head.headRepository} waits for an approval before it deploys (previews.forks is approve).`,
  });
}

async function lookAtDeployment(run: RunningPreview): Promise<void> {
  const current = run.carried.current!;
  const seen = await previewSteps.previewDeployment({ deploymentId: current.deploymentId });
  if (!seen.ended) return;
  current.ready = true;
  if (seen.state === 'failed')
    await previewSteps.markPreview({
      ...run.ref,
      state: 'failed',
      sha: current.sha,
      reason: `The deployment of ${current.sha.slice(0, 7)} (${current.deploymentId}) failed; the next push deploys again.`,
    });
  if (seen.state !== 'succeeded') return;
  await previewSteps.markPreview({ ...run.ref, state: 'live', sha: current.sha, reason: `${current.sha.slice(0, 7)} is live.` });
  await previewSteps.notifyPreviewReady({ ...run.ref, deploymentId: current.deploymentId, sha: current.sha });
}
