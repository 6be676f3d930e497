import { defineQuery, defineSignal, isCancellation, patched, setHandler } from '@temporalio/workflow';
import { awaitApproval } from './deployment/approval';
import { awaitPushAfterTravis, passCiGate } from './deployment/ci-gate';
import { canceledBy, canceledThroughTemporal, endingOf } from './deployment/endings';
import { finish, setCommitStatus, together } from './deployment/finish';
import { enterLine, takeTurn } from './deployment/release-line';
import { resolve } from './deployment/resolve';
import { RunningDeployment } from './deployment/running-deployment';
import { fetchAndInspect } from './deployment/tarball';
import { deliver, startUpload } from './deployment/target';
import { undeploy } from './deployment/undeploy';
import { awaitWindow } from './deployment/window';
import { verify } from './deployment/verify';
import { lineDecisionSignal } from './line.workflow';
import { RECEIVED_FIRST_PATCH } from './patches';
import type { CiSignal, DeploymentInput, DeploymentOutcome, DeploymentState, PushSignal, SupersedeSignal, TravisSignal } from './types';

export { INSPECT_TIMEOUT_PATCH, RELEASE_LINE_PATCH } from './patches';
export { UPLOAD_ATTEMPTS } from './deployment/target';
export { approveUpdate, rejectUpdate } from './deployment/approval';
export { deployNowUpdate } from './deployment/window';

export const pushSignal = defineSignal<[PushSignal]>('push');
export const travisSignal = defineSignal<[TravisSignal]>('travis');
export const cancelSignal = defineSignal<[{ reason?: string }]>('cancel');
export const supersedeSignal = defineSignal<[SupersedeSignal]>('supersede');
/** A GitHub check suite, check run or commit status of the commit changed: the CI gate reads the checks again. */
export const ciSignal = defineSignal<[CiSignal]>('ci');
export const stateQuery = defineQuery<DeploymentState>('state');

/**
 * One deployment, from a stored webhook payload to the receiver's final state. The stages are in
 * workflows/deployment/, their state in one RunningDeployment, which the signals change; the
 * order of what the stages ask Temporal for is the order every released version asked for it
 * (docs/architecture.md#the-deployment-workflow).
 */
export async function deployment(input: DeploymentInput): Promise<DeploymentOutcome> {
  const run = new RunningDeployment(input);
  setHandler(stateQuery, () => run.state);
  setHandler(pushSignal, (push) => run.pushArrived(push));
  setHandler(travisSignal, (travis) => run.travisReported(travis));
  setHandler(ciSignal, () => run.ciChanged());
  setHandler(cancelSignal, ({ reason }) => run.cancel(reason));
  setHandler(supersedeSignal, ({ by }) => run.supersede(by));
  setHandler(lineDecisionSignal, (decision) => run.lineDecided(decision));

  if (!run.lined) return deploy(run);
  try {
    return await deploy(run);
  } catch (error) {
    // Canceled through Temporal outside the pipeline (e.g. while a Travis-first start waits for its push).
    if (!isCancellation(error)) throw error;
    return finish(run, canceledThroughTemporal());
  }
}

/** The push (when Travis came first), `received`, the pipeline's stages, the end. */
async function deploy(run: RunningDeployment): Promise<DeploymentOutcome> {
  const noPush = await awaitPushAfterTravis(run);
  if (noPush) return finish(run, noPush);
  // An end that came before `received` (a retried first workflow task can see the line's or a
  // cancel's signal first) still logs `received` first: the task's first attempt may have written
  // it as entry 1, and `done` must not take that number.
  const receivedFirst = run.push !== undefined && patched(RECEIVED_FIRST_PATCH);
  const early = run.stopped();
  if (early && !receivedFirst) return finish(run, canceledBy(early));
  await run.statusLog.record('received', 'ok', receivedMessage(run.input));
  const stop = run.stopped();
  if (stop) return finish(run, canceledBy(stop));
  try {
    await run.pipeline.run(() => (run.input.operation === 'UNDEPLOY' ? undeploy(run) : deployCommit(run)));
    return await finish(run);
  } catch (error) {
    return finish(run, endingOf(run, error));
  }
}

/** DEPLOY: the CI gate, the package, its tarball, the turn in the app's line, the target, the bake where the app has a health check. */
async function deployCommit(run: RunningDeployment): Promise<void> {
  const pushedApp = run.push!.app;
  await together(
    run,
    async () => {
      if (pushedApp) await enterLine(run, pushedApp);
    },
    () => setCommitStatus(run, pushedApp, 'pending', 'Deployment in progress'),
  );
  await passCiGate(run);
  const { pkg, app } = await resolve(run);
  await fetchAndInspect(run, app);
  await awaitApproval(run, app);
  await awaitWindow(run, app);
  await takeTurn(run);
  startUpload(run);
  await deliver(run, app, pkg.version);
  await verify(run, app);
}

function receivedMessage({ provider, retryOf, release }: DeploymentInput): string {
  const cause = `${provider}${retryOf ? `, retry of ${retryOf}` : ''}${release ? `, ${release.cause} of release v${release.version}` : ''}`;
  return `Payload stored (${cause}); deployment queued.`;
}
