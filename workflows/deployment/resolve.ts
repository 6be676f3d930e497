import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { ResolvedApp, ResolvedPackage } from '../activities';
import { FEWER_ROUND_TRIPS_PATCH } from '../patches';
import { quick } from '../proxies';
import { SEARCH_ATTRIBUTES } from '../types';
import { notify, together } from './finish';
import { enterLine } from './release-line';
import type { RunningDeployment } from './running-deployment';

/**
 * The `resolve` stage: the package (package.json, or the one a release kept) and the app it
 * deploys as. Once the app is known the deployment joins its line, becomes a GitHub deployment
 * and is announced to the app's subscribers as queued.
 */
export async function resolve(
  deployment: RunningDeployment,
): Promise<{ pkg: Pick<ResolvedPackage, 'name' | 'version'>; app: ResolvedApp }> {
  const { input, ref, state, statusLog } = deployment;
  const source = input.release;
  const pending = source ? `The package of release v${source.version}.` : 'Reading package.json.';
  let pkg: Pick<ResolvedPackage, 'name' | 'version'>;
  let app: ResolvedApp;
  if (patched(FEWER_ROUND_TRIPS_PATCH)) ({ pkg, app } = await readsLogged(deployment, pending));
  else {
    await statusLog.record('resolve', 'pending', pending);
    pkg = source ? source.package : await quick.resolvePackage(ref);
    app = await quick.resolveApp({ ...ref, appHint: deployment.push!.app, packageName: pkg.name });
  }
  state.app = app.app;
  upsertSearchAttributes({ [SEARCH_ATTRIBUTES.app]: [app.app] });
  if (!patched(FEWER_ROUND_TRIPS_PATCH)) await statusLog.record('resolve', 'ok', `${pkg.name}@${pkg.version} deploys as app ${app.app}.`);
  await together(
    deployment,
    () => enterLine(deployment, app.app),
    async () => {
      if (deployment.githubDeployments) await deployment.githubDeployment.create(app.app);
    },
    () => notify(deployment, 'deployment.queued', app.app),
  );
  return { pkg, app };
}

/**
 * The two reads writing the step's entries themselves (the patch `fewer-round-trips`,
 * workflows/deployment/status-log.ts): the package's read its `pending`, the app's its `ok` (and
 * its `pending` when a release's kept package needs no read).
 */
async function readsLogged(
  deployment: RunningDeployment,
  pending: string,
): Promise<{ pkg: Pick<ResolvedPackage, 'name' | 'version'>; app: ResolvedApp }> {
  const { input, ref, statusLog } = deployment;
  let first = statusLog.reserve('resolve', pending);
  let pkg = input.release?.package;
  if (!pkg) {
    pkg = await statusLog.logged(first, (statusEntries) => quick.resolvePackage({ ...ref, statusEntries }));
    first = {};
  }
  const packageName = pkg.name;
  const last = statusLog.reserve('resolve', undefined, `${pkg.name}@${pkg.version} deploys as app {app}.`);
  const entries = { ...last, pending: first.pending, ok: { ...last.ok!, app_name: '{app}' } };
  const app = await statusLog.logged(entries, (statusEntries) =>
    quick.resolveApp({ ...ref, appHint: deployment.push!.app, packageName, statusEntries }),
  );
  return { pkg, app };
}
