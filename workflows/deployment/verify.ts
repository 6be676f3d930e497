import { CancellationScope, isCancellation, patched, sleep } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { ResolvedApp } from '../activities';
import { HEALTH_BAKE_PATCH } from '../patches';
import { healthProbes, rollbacks } from '../proxies';
import type { HealthCheckPlan, HealthProbeResult } from '../types';
import { DeploymentError } from './endings';
import type { RunningDeployment } from './running-deployment';

/** How a bake stands: its probes, the failures in a row and their answers. */
interface Bake {
  probes: number;
  failuresInARow: number;
  /** The answers of the failures in a row, oldest first. */
  answers: string[];
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * The `verifying` step (docs/contract.md#verified-releases): after the target reports SUCCESS, an
 * app with a health check bakes. One short activity per probe, durable timers between them, so a
 * baking deployment holds no activity slot; the status log gets the bake's start, each failed
 * probe and its end, not an entry per passing probe. `failureThreshold` failures in a row start
 * the automatic rollback and end the deployment `deploy:health:failed`. The deployment still holds
 * its app's line meanwhile: it leaves it only at its end.
 */
export async function verify(deployment: RunningDeployment, app: ResolvedApp): Promise<void> {
  const check = app.healthCheck;
  // The automatic rollback restores what was live before the failed bake: it is not baked again,
  // for a failure there would have nowhere to roll back to but itself.
  if (!check || deployment.input.release?.cause === 'auto-rollback' || !patched(HEALTH_BAKE_PATCH)) return;
  await deployment.statusLog.record(
    'verifying',
    'pending',
    `Baking: ${check.url} every ${seconds(check.intervalMs)} for ${seconds(check.bakeMs)}${check.initialDelayMs ? `, from ${seconds(check.initialDelayMs)} after the cut-over` : ''}; ${check.failureThreshold} failures in a row roll ${app.app} back.`,
  );
  if (check.initialDelayMs > 0) await sleep(check.initialDelayMs);
  const bake: Bake = { probes: 0, failuresInARow: 0, answers: [] };
  const started = Date.now();
  // A probe at the cut-over and one after each interval: the intervals alone span the bake, so
  // it has elapsed at the last probe however long the probes took.
  const intervals = Math.ceil(check.bakeMs / check.intervalMs);
  const endsAt = new Date(started + intervals * check.intervalMs).toISOString();
  for (let made = 0; ; made++) {
    const result = await probe(deployment, app.app, check);
    if (result) await count(deployment, app.app, check, bake, result);
    // What the `state` query answers (the status page shows the bake's progress); no command.
    deployment.state.bake = { probes: bake.probes, failuresInARow: bake.failuresInARow, failureThreshold: check.failureThreshold, endsAt };
    if (made >= intervals) break;
    await sleep(check.intervalMs);
  }
  await deployment.statusLog.record(
    'verifying',
    'ok',
    `The bake passed: ${bake.probes} probe${bake.probes === 1 ? '' : 's'} of ${check.url} over ${seconds(Date.now() - started)}, never ${check.failureThreshold} failures in a row.`,
  );
}

/** One probe; undefined when it could not be made (its worker was lost, say): not the app's answer, so not counted. */
async function probe(deployment: RunningDeployment, app: string, check: HealthCheckPlan): Promise<HealthProbeResult | undefined> {
  const { url, expectStatus, bodyIncludes, timeoutMs } = check;
  try {
    return await healthProbes.probeHealth({ ...deployment.ref, app, check: { url, expectStatus, bodyIncludes, timeoutMs } });
  } catch (error) {
    if (isCancellation(error)) throw error;
    return undefined;
  }
}

/** Counts a probe's answer; the failure that reaches the threshold starts the rollback and ends the deployment. */
async function count(
  deployment: RunningDeployment,
  app: string,
  check: HealthCheckPlan,
  bake: Bake,
  result: HealthProbeResult,
): Promise<void> {
  bake.probes++;
  if (result.ok) {
    bake.failuresInARow = 0;
    bake.answers = [];
    return;
  }
  bake.failuresInARow++;
  bake.answers.push(result.answer);
  if (bake.failuresInARow < check.failureThreshold) {
    await deployment.statusLog.record(
      'verifying',
      'pending',
      `Health check ${bake.probes} failed: ${result.answer} (${bake.failuresInARow} of ${check.failureThreshold} in a row).`,
    );
    return;
  }
  const failed = `${check.failureThreshold} health checks of ${check.url} failed in a row: ${bake.answers.join('; ')}.`;
  // Once decided, the rollback is asked for even if a cancel comes meanwhile; keyed by this deployment, it starts once.
  const rollback = await CancellationScope.nonCancellable(() => rollbacks.autoRollback({ ...deployment.ref, app, reason: failed }));
  const then = rollback.started
    ? ` Rolling ${app} back to release v${rollback.rolledBackTo} (deployment ${rollback.deploymentId}); ${app} is locked until it is unlocked.`
    : ` Nothing rolled back: ${rollback.reason}`;
  throw new DeploymentError(Errors.deployHealthFailed.code, `${failed}${then}`);
}
