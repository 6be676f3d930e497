import { tarballWork } from '../proxies';
import type { RunningDeployment } from './running-deployment';

/**
 * The `fetch` and `inspect` steps: the commit's tarball downloaded into blob storage and checked
 * entry by entry; a release's kept tarball, inspected when it was first deployed, is used as it is.
 */
export async function fetchAndInspect(deployment: RunningDeployment): Promise<void> {
  const { input, ref, statusLog } = deployment;
  const source = input.release;
  if (source?.blobId) {
    deployment.blobId = source.blobId;
    await statusLog.record('fetch', 'ok', `The kept tarball of release v${source.version} is deployed again; nothing downloaded.`);
    return;
  }
  await statusLog.record('fetch', 'pending', 'Downloading the commit tarball from GitHub.');
  const tarball = await tarballWork.fetchTarball(ref);
  deployment.blobId = tarball.blobId;
  await statusLog.record('fetch', 'ok', `${tarball.bytes} bytes, sha256 ${tarball.sha256}.`);

  await statusLog.record('inspect', 'pending', 'Checking the tarball.');
  const inspected = await tarballWork.inspectTarball({ blobId: tarball.blobId });
  await statusLog.record('inspect', 'ok', `${inspected.entries} entries, ${inspected.bytes} bytes, all safe.`);
}
