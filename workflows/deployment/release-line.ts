import { condition, workflowInfo } from '@temporalio/workflow';
import { bestEffort } from '../failures';
import { lineSignals } from '../proxies';
import type { RunningDeployment } from './running-deployment';

/**
 * The deployment's turn in its app's release line (workflows/line.workflow.ts orders the line).
 * It joins the line as soon as its app is known (at once for a configured app, else after
 * resolve), so the line orders it early and a stale push ends before downloading anything.
 */
export async function enterLine(deployment: RunningDeployment, app: string, kind: 'deploy' | 'undeploy' = 'deploy'): Promise<void> {
  const { input, push, turn } = deployment;
  if (!deployment.lined || turn.app) return;
  turn.app = app;
  const entry = {
    deploymentId: input.deploymentId,
    workflowId: workflowInfo().workflowId,
    repository: input.repository,
    commit: input.commit,
    before: push?.before,
    pushedAt: push?.pushedAt,
    receivedAt: push?.receivedAt,
    explicit: input.retryOf !== undefined || input.release !== undefined || kind === 'undeploy',
    kind,
    // An automatic rollback locks the app: what waits in the line ends naming the lock (docs/contract.md#verified-releases).
    ...(input.release?.cause === 'auto-rollback' ? { locks: `release v${input.release.version}` } : {}),
  };
  await lineSignals.signalLine({ user: input.user, app, event: { type: 'arrive', entry } });
}

/** The `queued` step: ready for the target, it waits until the line admits it, logging whom it waits behind. */
export async function takeTurn(deployment: RunningDeployment): Promise<void> {
  const { input, turn, statusLog } = deployment;
  if (!turn.app) return;
  if (!turn.readySent)
    await lineSignals.signalLine({ user: input.user, app: turn.app, event: { type: 'ready', deploymentId: input.deploymentId } });
  let shown: string | undefined;
  while (!turn.admitted) {
    await condition(() => turn.admitted || (turn.waitingFor !== undefined && turn.waitingFor.behind !== shown));
    if (turn.admitted || !turn.waitingFor) break;
    shown = turn.waitingFor.behind;
    await statusLog.record(
      'queued',
      'pending',
      `Waiting for deployment ${shown} (${turn.waitingFor.commit.slice(0, 7)}) to finish at the target: one deployment of ${turn.app} at a time.`,
    );
  }
  if (shown) await statusLog.record('queued', 'ok', `Its turn in the line of ${turn.app} came; going to the target.`);
}

/** At the end: the line lets the next deployment of the app go. A failure to say so never changes the outcome. */
export async function leaveLine({ input, turn }: RunningDeployment): Promise<void> {
  const app = turn.app;
  if (app)
    await bestEffort(() => lineSignals.signalLine({ user: input.user, app, event: { type: 'leave', deploymentId: input.deploymentId } }));
}
