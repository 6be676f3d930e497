import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ResolvedApp, ResolvedPackage } from '../activities';
import { quick } from '../proxies';
import { SEARCH_ATTRIBUTES } from '../types';
import { notify } from './finish';
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
  await statusLog.record('resolve', 'pending', source ? `The package of release v${source.version}.` : 'Reading package.json.');
  const pkg = source ? source.package : await quick.resolvePackage(ref);
  const app = await quick.resolveApp({ ...ref, appHint: deployment.push!.app, packageName: pkg.name });
  state.app = app.app;
  upsertSearchAttributes({ [SEARCH_ATTRIBUTES.app]: [app.app] });
  await statusLog.record('resolve', 'ok', `${pkg.name}@${pkg.version} deploys as app ${app.app}.`);
  await enterLine(deployment, app.app);
  if (deployment.githubDeployments) await deployment.githubDeployment.create(app.app);
  await notify(deployment, 'deployment.queued', app.app);
  return { pkg, app };
}
