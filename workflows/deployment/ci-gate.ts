import { condition } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import { minutes } from '../durations';
import { waitForGithubChecks } from '../github-gate';
import { quick } from '../proxies';
import { DeploymentError, Ending } from './endings';
import type { RunningDeployment } from './running-deployment';

/**
 * The CI gate: the stage that waits for Travis and GitHub checks, each where it applies (a commit
 * with both waits for both; runs started before `github-checks` ask about Travis alone). A retry,
 * or the code of a release deployed again, is an explicit request: it waits for neither.
 */
export async function passCiGate(deployment: RunningDeployment): Promise<void> {
  return deployment.checksGate ? waitForCi(deployment) : waitForTravis(deployment);
}

/** Travis reported first: waits (bounded) for the GitHub push that says what to deploy; the ending when none came. */
export async function awaitPushAfterTravis(deployment: RunningDeployment): Promise<Ending | undefined> {
  const { input } = deployment;
  if (deployment.push) return undefined;
  if (await condition(() => deployment.push !== undefined || deployment.stopped() !== undefined, input.ciTimeoutMs)) return undefined;
  const message = `Travis reported (${deployment.travis?.statusMessage ?? 'a result'}), but no push of this commit to the deploy branch arrived within ${minutes(input.ciTimeoutMs)}.`;
  await deployment.statusLog.record('waiting_for_ci', 'error', message, { code: Errors.deployTravisTimeout.code, message });
  return { code: Errors.deployTravisTimeout.code, message, outcome: 'canceled' };
}

/**
 * Why an explicit request waits for no CI: a retry, or the code of a release (rollback, redeploy,
 * env: the input field `release`, never in older histories), which passed CI when first deployed.
 */
function noCiWait({ input }: RunningDeployment): string | undefined {
  if (input.retryOf) return 'retries do not wait for CI';
  return input.release ? `release v${input.release.version} passed its CI when it was deployed` : undefined;
}

/** The gate before `github-checks`: Travis only. */
async function waitForTravis(deployment: RunningDeployment): Promise<void> {
  const skip = noCiWait(deployment);
  const asked = skip ? { gated: false, reason: skip } : await quick.ciGate({ ...deployment.ref, app: deployment.push!.app });
  // A Travis result that came first counts even where nothing asked for one: a failed build never deploys.
  const gate = !skip && !asked.gated && deployment.travis ? { gated: true, reason: 'Travis reported a result for this commit' } : asked;
  deployment.state.ci = { gated: gate.gated, reason: gate.reason };
  if (gate.gated) await travisResult(deployment, gate.reason, deployment.input.ciTimeoutMs);
}

/** Waits (bounded) for Travis' result; a failed build ends the deployment. */
async function travisResult(deployment: RunningDeployment, reason: string, timeoutMs: number): Promise<void> {
  const { statusLog } = deployment;
  await statusLog.record('waiting_for_ci', 'pending', `Waiting for Travis: ${reason}.`);
  if (!(await condition(() => deployment.travis !== undefined, timeoutMs))) {
    throw new DeploymentError(Errors.deployTravisTimeout.code, `Travis did not report within ${minutes(timeoutMs)}.`);
  }
  const travis = deployment.travis!;
  deployment.state.ci!.result = travis.statusMessage;
  if (!travis.passed) throw new DeploymentError(Errors.deployTravisFailed.code, `Travis build ${travis.statusMessage}; not deploying.`);
  await statusLog.record('waiting_for_ci', 'ok', `Travis build ${travis.statusMessage}.`);
}

/** The gate since `github-checks`: Travis and GitHub checks, each where it applies. */
async function waitForCi(deployment: RunningDeployment): Promise<void> {
  const { state, statusLog } = deployment;
  const skip = noCiWait(deployment);
  if (skip) {
    state.ci = { gated: false, reason: skip };
    return;
  }
  const app = deployment.push!.app;
  const gates = await quick.ciGates({ ...deployment.ref, app });
  // A Travis result that came first counts even where nothing asked for one: a failed build never deploys.
  const travisGate =
    !gates.travis.gated && deployment.travis ? { gated: true, reason: 'Travis reported a result for this commit' } : gates.travis;
  const timeoutMs = gates.timeoutMs ?? deployment.input.ciTimeoutMs;
  const applied = [
    travisGate.gated && `Travis: ${travisGate.reason}`,
    gates.github.gated && `GitHub checks: ${gates.github.reason}`,
  ].filter((why): why is string => typeof why === 'string');
  state.ci = { gated: applied.length > 0, reason: applied.join('; ') || `${travisGate.reason}; ${gates.github.reason}` };
  if (travisGate.gated) await travisResult(deployment, travisGate.reason, timeoutMs);
  if (!gates.github.gated) return;
  await statusLog.record('waiting_for_ci', 'pending', `GitHub checks gate this deployment: ${gates.github.reason}.`);
  const passed = await waitForGithubChecks({
    ref: deployment.ref,
    app,
    gate: gates.github,
    timeoutMs,
    pollMs: gates.pollMs,
    wake: deployment.ciWake,
    report: (message) => statusLog.record('waiting_for_ci', 'pending', message),
  });
  state.ci.result = [state.ci.result, passed].filter(Boolean).join('; ');
  await statusLog.record('waiting_for_ci', 'ok', passed);
}
