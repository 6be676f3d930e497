import { CancellationScope, patched } from '@temporalio/workflow';
import type { DeploymentActivitiesApi } from '../activities';
import { bestEffort } from '../failures';
import { endStatus } from '../github-gate';
import { FEWER_ROUND_TRIPS_PATCH, NOTIFICATIONS_PATCH } from '../patches';
import { quick } from '../proxies';
import type { DeploymentEvent, DeploymentOutcome, DeploymentState } from '../types';
import type { Ending } from './endings';
import { leaveLine } from './release-line';
import type { RunningDeployment } from './running-deployment';

const END_EVENTS: Record<DeploymentState['state'], DeploymentEvent | undefined> = {
  running: undefined,
  succeeded: 'deployment.succeeded',
  failed: 'deployment.failed',
  canceled: 'deployment.canceled',
};

/**
 * The deployment's end, whatever ended it (no `ending`: it succeeded): the failing step's entry,
 * the commit status and GitHub deployment status, the record closed (its blob freed or kept),
 * the line left, the subscribers told, `done`. With the release line it runs in a
 * non-cancellable scope (a cancel through Temporal still ends cleanly), and bookkeeping that fails
 * after the target's answer never changes the outcome.
 */
export function finish(deployment: RunningDeployment, ending?: Ending): Promise<DeploymentOutcome> {
  if (!deployment.lined) return end(deployment, ending);
  return CancellationScope.nonCancellable(() => end(deployment, ending));
}

async function end(deployment: RunningDeployment, ending?: Ending): Promise<DeploymentOutcome> {
  const { input, state, statusLog } = deployment;
  const outcome = ending?.outcome ?? 'succeeded';
  state.state = outcome;
  state.error = ending && { code: ending.code, message: ending.message };
  // The step that failed (or was stopped) ends with its own error entry, then the deployment's done entry.
  const last = statusLog.last;
  if (state.error && last && last.step !== 'received' && last.status !== 'error')
    await statusLog.record(last.step, 'error', state.error.message, state.error);
  const rollback = input.release?.cause === 'rollback' || input.release?.cause === 'auto-rollback';
  await together(
    deployment,
    async () => {
      // An UNDEPLOY deploys no commit: with the release line it marks none "Deployed" (nor failed).
      if (!(deployment.lined && input.operation === 'UNDEPLOY'))
        await setCommitStatus(
          deployment,
          state.app,
          outcome === 'succeeded' ? 'success' : 'failure',
          ending ? `Deployment failed: ${ending.code}` : 'Deployed',
        );
    },
    () =>
      deployment.githubDeployment.status(
        state.app,
        endStatus(outcome, ending?.code),
        ending ? `${ending.code}: ${ending.message}` : 'Deployed',
      ),
    async () => {
      await closeRecord(deployment, outcome);
      await notify(deployment, END_EVENTS[outcome], state.app);
      if (outcome === 'succeeded' && rollback) await notify(deployment, 'deployment.rolled_back', state.app);
    },
  );
  if (ending) await statusLog.record('done', 'error', ending.message, { code: ending.code, message: ending.message });
  else
    await statusLog.record(
      'done',
      'ok',
      input.operation === 'UNDEPLOY' ? `Removed ${state.app} from the target.` : `Deployed ${state.app}.`,
    );
  return { state: outcome, error: state.error };
}

/**
 * Bookkeeping calls that never fail (best effort, or retried until done): at once in a run with
 * the release line and the patch `fewer-round-trips`, one after another (as before it) otherwise.
 */
export async function together(deployment: RunningDeployment, ...calls: Array<() => Promise<unknown>>): Promise<void> {
  if (deployment.lined && patched(FEWER_ROUND_TRIPS_PATCH)) {
    await Promise.all(calls.map((call) => call()));
    return;
  }
  for (const call of calls) await call();
}

/** The commit's status on GitHub: pending from the start (the CI wait included), then the outcome. A courtesy: its failure changes nothing. */
export async function setCommitStatus(
  deployment: RunningDeployment,
  app: string | undefined,
  state: Parameters<DeploymentActivitiesApi['commitStatus']>[0]['state'],
  description: string,
): Promise<void> {
  await bestEffort(() => quick.commitStatus({ ...deployment.ref, app, state, description }));
}

/** The app's subscribers hear of the deployment, each event by its own delivery workflow: a slow or failing endpoint never holds or fails it. */
export async function notify(deployment: RunningDeployment, event: DeploymentEvent | undefined, app: string | undefined): Promise<void> {
  const { input, ref, state } = deployment;
  if (!event || !app || input.operation === 'UNDEPLOY' || !patched(NOTIFICATIONS_PATCH)) return;
  await bestEffort(() => quick.notify({ ...ref, app, event, error: state.error }));
}

/**
 * The deployment's record closed (state, its blob freed or kept for rollback, an app removed
 * after its UNDEPLOY), then the line left. With the release line a failure here never changes the
 * outcome; before it, a failure failed the deployment.
 */
async function closeRecord(deployment: RunningDeployment, outcome: DeploymentState['state']): Promise<void> {
  const { input, ref, state } = deployment;
  const close = () =>
    quick.finishDeployment({
      ...ref,
      app: state.app,
      state: outcome,
      blobId: deployment.blobId,
      operation: input.operation,
      removeApp: input.removeApp,
      appVersion: input.appVersion,
    });
  if (!deployment.lined) return close();
  await bestEffort(close);
  await leaveLine(deployment);
}
