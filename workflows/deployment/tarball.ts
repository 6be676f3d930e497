import { patched } from '@temporalio/workflow';
import { FEWER_ROUND_TRIPS_PATCH } from '../patches';
import type { ResolvedApp } from '../activities';
import type { StepEntries } from '../types';
import { tarballWork } from '../proxies';
import { activatesRelease } from './activate';
import type { RunningDeployment } from './running-deployment';

/**
 * The `fetch` and `inspect` steps: the commit's tarball downloaded into blob storage and checked
 * entry by entry; a release's kept tarball, inspected when it was first deployed, is used as it is;
 * a release the target retains is activated there, nothing downloaded (docs/contract.md#activate).
 */
export async function fetchAndInspect(deployment: RunningDeployment, app: ResolvedApp): Promise<void> {
  const { input, statusLog } = deployment;
  const source = input.release;
  if (activatesRelease(deployment)) {
    if (source!.blobId) deployment.blobId = source!.blobId;
    await statusLog.record(
      'fetch',
      'ok',
      `The target retains the files of release v${source!.version}: they are activated there, nothing downloaded (its tarball only if the target lacks them).`,
    );
    return;
  }
  if (source?.blobId) {
    deployment.blobId = source.blobId;
    await statusLog.record('fetch', 'ok', `The kept tarball of release v${source.version} is deployed again; nothing downloaded.`);
    return;
  }
  await download(deployment, app);
}

/**
 * A rollback whose ACTIVATE the target could not carry out (docs/contract.md#activate): the
 * release's kept tarball, else the commit's fetched from GitHub again and inspected, as any
 * rollback's.
 */
export async function fetchForUpload(deployment: RunningDeployment): Promise<void> {
  if (!deployment.blobId) return download(deployment);
  await deployment.statusLog.record(
    'fetch',
    'ok',
    `The kept tarball of release v${deployment.input.release!.version} is uploaded; nothing downloaded.`,
  );
}

/** The commit's tarball from GitHub into blob storage (`fetch`), then checked entry by entry (`inspect`). */
async function download(deployment: RunningDeployment, app?: ResolvedApp): Promise<void> {
  if (patched(FEWER_ROUND_TRIPS_PATCH)) return downloadLogged(deployment, app && readyAfter(deployment, app));
  const { ref, statusLog } = deployment;
  await statusLog.record('fetch', 'pending', 'Downloading the commit tarball from GitHub.');
  const tarball = await tarballWork.fetchTarball(ref);
  deployment.blobId = tarball.blobId;
  await statusLog.record('fetch', 'ok', `${tarball.bytes} bytes, sha256 ${tarball.sha256}.`);

  await statusLog.record('inspect', 'pending', 'Checking the tarball.');
  const inspected = await tarballWork.inspectTarball({ blobId: tarball.blobId });
  await statusLog.record('inspect', 'ok', `${inspected.entries} entries, ${inspected.bytes} bytes, all safe.`);
}

/** The same two steps, each activity writing its own entries (the patch `fewer-round-trips`). */
async function downloadLogged(deployment: RunningDeployment, lineEvent?: StepEntries['lineEvent']): Promise<void> {
  const { ref, statusLog } = deployment;
  const tarball = await statusLog.logged(
    statusLog.reserve('fetch', 'Downloading the commit tarball from GitHub.', '{bytes} bytes, sha256 {sha256}.'),
    (statusEntries) => tarballWork.fetchTarball({ ...ref, statusEntries }),
  );
  deployment.blobId = tarball.blobId;
  await statusLog.logged(
    statusLog.reserve('inspect', 'Checking the tarball.', '{entries} entries, {bytes} bytes, all safe.'),
    (statusEntries) => tarballWork.inspectTarball({ blobId: tarball.blobId, statusEntries: { ...statusEntries, lineEvent } }),
  );
  if (lineEvent) deployment.turn.readySent = true;
}

/**
 * The `ready` the inspect activity tells the line (the patch `fewer-round-trips`) when nothing
 * stands between the inspection and the deployment's turn: no approval rule, no deploy windows.
 */
function readyAfter(deployment: RunningDeployment, app: ResolvedApp): StepEntries['lineEvent'] {
  const { input, turn } = deployment;
  if (!turn.app || app.approval || app.windowed) return undefined;
  return { user: input.user, app: turn.app, event: { type: 'ready', deploymentId: input.deploymentId } };
}
