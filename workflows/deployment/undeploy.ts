import { patched } from '@temporalio/workflow';
import { UNDEPLOY_AT_TURN_PATCH } from '../patches';
import { quick } from '../proxies';
import { enterLine, takeTurn } from './release-line';
import type { RunningDeployment } from './running-deployment';
import { followProcessing, uploadWithRetries } from './target';

/**
 * UNDEPLOY: no code, no CI; in its turn, the target removes what the app's live deployment put
 * there, named as it is at that turn (docs/contract.md#undeploy).
 */
export async function undeploy(deployment: RunningDeployment): Promise<void> {
  const { input, ref, state, statusLog } = deployment;
  const app = deployment.push!.app!;
  state.app = app;
  await enterLine(deployment, app, 'undeploy');
  await takeTurn(deployment);
  deployment.uploadStarted = true;
  const target = await quick.resolveApp({ ...ref, appHint: app, packageName: app, claimName: false });
  let undeploys = input.undeploys;
  let removing = undeploys ? ` (deployed by ${undeploys})` : '';
  let commit = ref.commit;
  if (patched(UNDEPLOY_AT_TURN_PATCH)) {
    const live = await quick.liveDeployment({ ...ref, app });
    ({ commit } = live);
    undeploys = live.deployment;
    removing = undeploys ? ` (deployed by ${undeploys}, commit ${commit})` : ' (no deployment of it is recorded)';
  }
  await statusLog.record('upload', 'pending', `Asking the target to remove ${app}${removing}.`);
  const { remoteId, nothingToDo } = await uploadWithRetries(deployment, {
    ...ref,
    commit,
    app,
    version: '0.0.0',
    operation: 'UNDEPLOY',
    undeploys,
  });
  if (nothingToDo) return statusLog.record('upload', 'ok', nothingToDo);
  state.remoteId = remoteId;
  await statusLog.record('upload', 'ok', `Target accepted the removal as ${remoteId}.`);
  if (target.polls) await followProcessing(deployment, app, remoteId);
}
