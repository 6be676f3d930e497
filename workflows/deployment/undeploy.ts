import { quick } from '../proxies';
import { enterLine, takeTurn } from './release-line';
import type { RunningDeployment } from './running-deployment';
import { followProcessing, uploadWithRetries } from './target';

/** UNDEPLOY: no code, no CI; in its turn, the target removes what the app's last deployment put there. */
export async function undeploy(deployment: RunningDeployment): Promise<void> {
  const { input, ref, state, statusLog } = deployment;
  const app = deployment.push!.app!;
  state.app = app;
  await enterLine(deployment, app, 'undeploy');
  await takeTurn(deployment);
  deployment.uploadStarted = true;
  const target = await quick.resolveApp({ ...ref, appHint: app, packageName: app, claimName: false });
  await statusLog.record(
    'upload',
    'pending',
    `Asking the target to remove ${app}${input.undeploys ? ` (deployed by ${input.undeploys})` : ''}.`,
  );
  const { remoteId, nothingToDo } = await uploadWithRetries(deployment, {
    ...ref,
    app,
    version: '0.0.0',
    operation: 'UNDEPLOY',
    undeploys: input.undeploys,
  });
  if (nothingToDo) return statusLog.record('upload', 'ok', nothingToDo);
  state.remoteId = remoteId;
  await statusLog.record('upload', 'ok', `Target accepted the removal as ${remoteId}.`);
  if (target.polls) await followProcessing(deployment, app, remoteId);
}
