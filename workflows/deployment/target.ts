import { isCancellation, patched, sleep } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { DeploymentActivitiesApi, ResolvedApp, TargetStatus } from '../activities';
import { applicationFailureOf } from '../failures';
import { FEWER_ROUND_TRIPS_PATCH } from '../patches';
import { targetStatus, uploads } from '../proxies';
import { DeploymentError } from './endings';
import { ACTIVATE_FIRST_POLL_MS, activatesRelease, fallBack, pushActivate, releaseNotKept, uploadDocAfterActivate } from './activate';
import { notify, together } from './finish';
import { fetchForUpload } from './tarball';
import type { RunningDeployment } from './running-deployment';

/** Attempts at the upload (or removal) before the deployment fails; each failed one is logged. */
export const UPLOAD_ATTEMPTS = 10;
const PROCESSING_TIMEOUT_MS = 60 * 60 * 1000;

type UploadArgs = Parameters<DeploymentActivitiesApi['uploadPackage']>[0];
/** A DEPLOY's `upload` entries, written by the upload activity (the patch `fewer-round-trips`). */
const UPLOAD_ENTRIES = { pending: 'Uploading to the deployment target.', ok: 'Target accepted the package as {remoteId}.' };

/** Past this point the target may have the package: a stop asked for before it still ends the deployment, none after it does. */
export function startUpload(deployment: RunningDeployment): void {
  const stop = deployment.stopped();
  if (stop) throw new DeploymentError(stop.code, stop.message);
  deployment.uploadStarted = true;
}

/**
 * The upload and processing stage of a DEPLOY: the package to the receiver, then its processing
 * followed to the end. A rollback of a release the receiver retains activates it there instead,
 * and uploads only when the receiver lacks it (docs/contract.md#activate).
 */
export async function deliver(deployment: RunningDeployment, app: ResolvedApp, version: string): Promise<void> {
  const { ref, state, statusLog } = deployment;
  await together(
    deployment,
    () => deployment.githubDeployment.status(app.app, 'in_progress', 'Uploading to the deployment target'),
    () => notify(deployment, 'deployment.started', app.app),
  );
  const planned = activatesRelease(deployment);
  // Only a target that reports its states can say that it lacks the release.
  const activating = planned && app.polls;
  if (activating && (await activated(deployment, app, version))) return;
  if (planned && !activating) await fallBack(deployment, 'the target has no statusUrl to report whether it keeps the release');
  if (planned) await fetchForUpload(deployment);
  const args: UploadArgs = {
    ...ref,
    app: app.app,
    version,
    blobId: deployment.blobId,
    operation: 'DEPLOY',
    ...(activating ? { packageDoc: uploadDocAfterActivate(ref.deploymentId) } : {}),
  };
  if (patched(FEWER_ROUND_TRIPS_PATCH)) {
    // The upload activity writes the step's entries (workflows/deployment/status-log.ts).
    state.remoteId = (await uploadWithRetries(deployment, args, UPLOAD_ENTRIES)).remoteId;
  } else {
    await statusLog.record('upload', 'pending', 'Uploading to the deployment target.');
    const { remoteId } = await uploadWithRetries(deployment, args);
    state.remoteId = remoteId;
    await statusLog.record('upload', 'ok', `Target accepted the package as ${remoteId}.`);
  }
  const remoteId = state.remoteId;
  if (app.polls) await followProcessing(deployment, app.app, remoteId);
}

/** The ACTIVATE and its processing; false when the receiver lacks the release (the fallback is logged). */
async function activated(deployment: RunningDeployment, app: ResolvedApp, version: string): Promise<boolean> {
  const pushed = await pushActivate(deployment, app, version);
  if ('fallback' in pushed) return false;
  const notKept = await followProcessing(deployment, app.app, pushed.remoteId, {
    recognised: releaseNotKept,
    firstDelayMs: ACTIVATE_FIRST_POLL_MS,
  });
  if (notKept === undefined) return true;
  await fallBack(deployment, notKept);
  return false;
}

/** One activity per attempt, counted here so each retry shows in the status log, with a growing pause between them. */
export async function uploadWithRetries(
  deployment: RunningDeployment,
  args: UploadArgs,
  entries?: { pending: string; ok: string },
): ReturnType<DeploymentActivitiesApi['uploadPackage']> {
  for (let attempt = 1; ; attempt++) {
    deployment.state.attempt = attempt;
    try {
      if (!entries) return await uploads.uploadPackage(args);
      // Its first attempt writes the step's `pending` entry, each its `ok` on success.
      const reserved = deployment.statusLog.reserve('upload', attempt === 1 ? entries.pending : undefined, entries.ok);
      return await deployment.statusLog.logged(reserved, (statusEntries) => uploads.uploadPackage({ ...args, statusEntries }));
    } catch (error) {
      const failure = applicationFailureOf(error);
      if (isCancellation(error) || failure?.nonRetryable || attempt >= UPLOAD_ATTEMPTS) throw error;
      const delay = Math.min(1000 * 2 ** (attempt - 1), 30_000);
      await deployment.statusLog.record(
        'upload',
        'pending',
        `Attempt ${attempt} failed (${failure?.message ?? (error as Error).message}); retrying in ${delay / 1000} s.`,
      );
      await sleep(delay);
    }
  }
}

/**
 * The `processing` step: polls the target (200 ms growing to 15 s apart, for at most an hour), logging each change.
 * `recognised`: an ERROR it names (answers a message for) ends the step without failing the deployment; the message is answered.
 * `firstDelayMs`: the first pause between polls (an ACTIVATE, a link switched, is done sooner than an upload's extraction).
 */
export async function followProcessing(
  deployment: RunningDeployment,
  app: string,
  remoteId: string,
  follow: { recognised?: (status: TargetStatus) => string | undefined; firstDelayMs?: number } = {},
): Promise<string | undefined> {
  const { input, state, statusLog } = deployment;
  const { recognised, firstDelayMs = 200 } = follow;
  const beginning = 'The target is processing the package.';
  // The first poll writes the step's `pending` entry (workflows/deployment/status-log.ts).
  let first = patched(FEWER_ROUND_TRIPS_PATCH) ? statusLog.reserve('processing', beginning) : undefined;
  if (!first) await statusLog.record('processing', 'pending', beginning);
  const deadline = Date.now() + PROCESSING_TIMEOUT_MS;
  let delay = firstDelayMs;
  let last: TargetStatus | undefined;
  let failedPolls = 0;
  for (;;) {
    let status: TargetStatus;
    try {
      const poll = { user: input.user, app, remoteId };
      status = await (first
        ? statusLog.logged(first, (statusEntries) => targetStatus.pollTarget({ ...poll, statusEntries }))
        : targetStatus.pollTarget(poll));
      first = undefined;
      failedPolls = 0;
    } catch (error) {
      first = undefined;
      // Reading a status is safe to repeat: a flaky target only delays the answer, up to the deadline.
      const failure = applicationFailureOf(error);
      if (isCancellation(error) || failure?.nonRetryable || ++failedPolls >= 6 || Date.now() >= deadline) throw error;
      await statusLog.record(
        'processing',
        'pending',
        `Reading the target's status failed (${failure?.message ?? (error as Error).message}); trying again.`,
      );
      await sleep(Math.min(delay * 4, 15_000));
      continue;
    }
    state.records = status.records.map((r) => ({ ref: r.ref, state: r.state, message: r.message }));
    for (const change of recordChanges(last, status)) await statusLog.record('processing', 'pending', change);
    last = status;
    if (status.state === 'SUCCESS') return void (await statusLog.record('processing', 'ok', 'The target finished processing: SUCCESS.'));
    const known = status.state === 'ERROR' ? recognised?.(status) : undefined;
    if (known !== undefined) return known;
    if (status.state === 'ERROR') {
      const messages = status.records
        .filter((r) => r.state === 'ERROR' && r.message)
        .map((r) => r.message)
        .join('; ');
      throw new DeploymentError(Errors.deployReceiverStartApp.code, `The target reported ERROR${messages ? `: ${messages}` : ''}.`);
    }
    if (Date.now() >= deadline)
      throw new DeploymentError(Errors.deployReceiverStartApp.code, 'The target did not finish processing within an hour.');
    await sleep(delay);
    delay = Math.min(delay * 1.5, 15_000);
  }
}

/** What changed at the target since the last poll: the package's state, each record's. */
function recordChanges(before: TargetStatus | undefined, after: TargetStatus): string[] {
  const changes: string[] = [];
  if (before?.state !== after.state) changes.push(`Package ${after.state}.`);
  for (const recordNow of after.records) {
    const previous = before?.records.find((r) => r.ref === recordNow.ref);
    if (previous?.state !== recordNow.state)
      changes.push(`Record ${recordNow.ref}: ${recordNow.state}${recordNow.message ? ` (${recordNow.message})` : ''}.`);
  }
  return changes;
}
