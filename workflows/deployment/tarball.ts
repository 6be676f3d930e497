import { tarballWork } from '../proxies';
import { activatesRelease } from './activate';
import type { RunningDeployment } from './running-deployment';

/**
 * The `fetch` and `inspect` steps: the commit's tarball downloaded into blob storage and checked
 * entry by entry; a release's kept tarball, inspected when it was first deployed, is used as it is;
 * a release the target retains is activated there, nothing downloaded (docs/contract.md#activate).
 */
export async function fetchAndInspect(deployment: RunningDeployment): Promise<void> {
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
  await download(deployment);
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
async function download(deployment: RunningDeployment): Promise<void> {
  const { ref, statusLog } = deployment;
  await statusLog.record('fetch', 'pending', 'Downloading the commit tarball from GitHub.');
  const tarball = await tarballWork.fetchTarball(ref);
  deployment.blobId = tarball.blobId;
  await statusLog.record('fetch', 'ok', `${tarball.bytes} bytes, sha256 ${tarball.sha256}.`);

  await statusLog.record('inspect', 'pending', 'Checking the tarball.');
  const inspected = await tarballWork.inspectTarball({ blobId: tarball.blobId });
  await statusLog.record('inspect', 'ok', `${inspected.entries} entries, ${inspected.bytes} bytes, all safe.`);
}
