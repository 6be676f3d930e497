import { ActivityFailure, ApplicationFailure, isCancellation, patched, TimeoutFailure } from '@temporalio/workflow';
import { ErrorCode, Errors } from '../../libs/errors/catalogue';
import { applicationFailureOf } from '../failures';
import { INSPECT_TIMEOUT_PATCH } from '../patches';
import type { DeploymentState, Step } from '../types';
import type { RunningDeployment, Stop } from './running-deployment';

/** How a deployment that did not succeed ends: its error code and message. */
export interface Ending {
  code: string;
  message: string;
  outcome: Exclude<DeploymentState['state'], 'running' | 'succeeded'>;
}

/** A stage's own failure, with the error code it ends the deployment with. */
export class DeploymentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const canceledBy = (stop: Stop): Ending => ({ ...stop, outcome: 'canceled' });

export const canceledThroughTemporal = (): Ending => ({
  code: Errors.deployCanceled.code,
  message: 'Deployment canceled through Temporal (workflow cancel).',
  outcome: 'canceled',
});

/** How a failure of the pipeline ends the deployment: a stop it was asked for, a cancel through Temporal, or the failure's own code. */
export function endingOf(deployment: RunningDeployment, error: unknown): Ending {
  const stop = deployment.stopped();
  if (stop) return canceledBy(stop);
  if (deployment.lined && isCancellation(error)) return canceledThroughTemporal();
  return { ...describe(error, deployment.state.step), outcome: 'failed' };
}

const STEP_CODES: Record<string, ErrorCode> = {
  ciGate: Errors.deployGithubReadFailed.code, // .travis.yml unreadable (GitHub down): not no_pkg_json
  resolvePackage: Errors.deployGithubNoPkgJson.code,
  resolveApp: Errors.deployGithubNoPkgJson.code,
  fetchTarball: Errors.deployGithubDownloadTarball.code,
  inspectTarball: Errors.deployTarCorrupt.code,
  uploadPackage: Errors.deployReceiverUploadTarball.code,
  pollTarget: Errors.deployReceiverStartApp.code,
};

/** Per step, for failures that carry no code of their own. */
const STEP_FALLBACK_CODES: Partial<Record<Step, ErrorCode>> = {
  received: Errors.deployGithubReadFailed.code,
  waiting_for_ci: Errors.deployGithubReadFailed.code,
  resolve: Errors.deployGithubNoPkgJson.code,
  fetch: Errors.deployGithubDownloadTarball.code,
  inspect: Errors.deployTarCorrupt.code,
  upload: Errors.deployReceiverUploadTarball.code,
  processing: Errors.deployReceiverStartApp.code,
};

/**
 * The error code of a failure. An activity's own codes are `deploy:…`; anything else (a driver
 * error or a bug reaches the workflow named after its class) gets the code of the step it
 * happened in, with its message.
 */
function describe(error: unknown, step: Step): { code: string; message: string } {
  if (error instanceof DeploymentError) return { code: error.code, message: error.message };
  // A local activity's failure can reach the workflow as its ApplicationFailure itself.
  const failure = error instanceof ApplicationFailure ? error : applicationFailureOf(error);
  if (failure?.type?.startsWith('deploy:')) return { code: failure.type, message: failure.message };
  const activity = error instanceof ActivityFailure ? error.activityType : undefined;
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  // A slow inspection is not a corrupt tarball (runs started before this change keep their code).
  if (activity === 'inspectTarball' && cause instanceof TimeoutFailure && patched(INSPECT_TIMEOUT_PATCH)) {
    return {
      code: Errors.deployTarTimeout.code,
      message: `The tarball's inspection did not finish in time (${cause.timeoutType === 'HEARTBEAT' ? 'its worker stopped answering' : '30 minutes per attempt'}).`,
    };
  }
  const code = (activity && STEP_CODES[activity]) ?? STEP_FALLBACK_CODES[step] ?? Errors.deployInternal.code;
  const message = activity
    ? `${activity} did not complete: ${cause?.message ?? (error as Error).message}`
    : ((error as Error)?.message ?? String(error));
  return { code, message };
}
