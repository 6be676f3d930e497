import { patched } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { ActivateAnswer, ResolvedApp, TargetStatus } from '../activities';
import { ACTIVATE_RELEASE_PATCH, FEWER_ROUND_TRIPS_PATCH } from '../patches';
import { activations } from '../proxies';
import type { RunningDeployment } from './running-deployment';

/**
 * Rollback by ACTIVATE (docs/contract.md#activate): a rollback of a release whose files the
 * receiver retains makes them live again there, without a download or an upload (only where the
 * target reports its states, a `statusUrl`: without one a receiver lacking the release could not
 * say so). Runs started before the patch never carry `activates`.
 */
export function activatesRelease(deployment: RunningDeployment): boolean {
  if (!deployment.input.release?.activates) return false;
  return patched(ACTIVATE_RELEASE_PATCH);
}

/** An ACTIVATE switches a link: its state is polled 50 ms after the first read, not 200 ms (then growing as for any package). */
export const ACTIVATE_FIRST_POLL_MS = 50;

/** The package `_doc` of the upload after a refused ACTIVATE: the ACTIVATE took the deployment id, which the receiver processes once. */
export function uploadDocAfterActivate(deploymentId: string): string {
  return `${deploymentId}-upload`;
}

/**
 * The `activating` step: the ACTIVATE package pushed. Answers the receiver's id for it, or, when
 * the receiver refused the operation, the fallback's reason (already in the status log).
 */
export async function pushActivate(
  deployment: RunningDeployment,
  app: ResolvedApp,
  version: string,
): Promise<{ remoteId: string } | { fallback: string }> {
  const { ref, statusLog } = deployment;
  const source = deployment.input.release!;
  const pending = `Activating release v${source.version} at the target (ACTIVATE of ${source.activates}); nothing uploaded.`;
  const push = { ...ref, app: app.app, version, activates: source.activates! };
  let answer: ActivateAnswer;
  // The ACTIVATE's activity writes the step's `pending` entry (workflows/deployment/status-log.ts).
  if (patched(FEWER_ROUND_TRIPS_PATCH))
    answer = await statusLog.logged(statusLog.reserve('activating', pending), (statusEntries) =>
      activations.activateRelease({ ...push, statusEntries }),
    );
  else {
    await statusLog.record('activating', 'pending', pending);
    answer = await activations.activateRelease(push);
  }
  if (answer.refused !== undefined) return { fallback: await fallBack(deployment, answer.refused) };
  deployment.state.remoteId = answer.remoteId;
  await statusLog.record('activating', 'ok', `Target accepted the ACTIVATE as ${answer.remoteId}.`);
  return { remoteId: answer.remoteId };
}

/**
 * A package ERROR that says the receiver does not keep the release: a record's message starting
 * with `receiver:release_not_kept` (docs/contract.md#activate). Any other ERROR fails the rollback.
 */
export function releaseNotKept(status: TargetStatus): string | undefined {
  const code = Errors.receiverReleaseNotKept.code;
  return status.records.find((r) => r.state === 'ERROR' && r.message?.startsWith(code))?.message;
}

/** The status entry of a fallback: the receiver lacks the release, its tarball is uploaded instead. */
export async function fallBack(deployment: RunningDeployment, why: string): Promise<string> {
  const version = deployment.input.release!.version;
  const message = `The target cannot activate release v${version} (${why}); its tarball is uploaded instead.`;
  await deployment.statusLog.record('activating', 'ok', message);
  return message;
}
