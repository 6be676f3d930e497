import type { PipelineCompensation } from '../types';
import { runActions, runSteps } from './proxies';
import type { RunningRun } from './running-run';
import { ended, markApp } from './stage';

/**
 * The compensation (docs/contract.md#release-pipelines): from the failed stage back to the first,
 * one stage at a time, every app the run promoted goes back to its release before the run (a
 * rollback without the lock, ACTIVATE where the receiver retains it), unless someone else changed
 * it meanwhile; later stages are not touched. Each app is compensated once: its rollback is keyed
 * by (run, app).
 */
export async function compensate(run: RunningRun, failedStage: number): Promise<void> {
  run.state = 'compensating';
  await runSteps.markPipelineRun({
    runId: run.input.runId,
    state: 'compensating',
    reason: `Stage ${failedStage + 1} failed; compensating.`,
  });
  for (let stage = failedStage; stage >= 0; stage--) {
    await Promise.all(run.input.stages[stage].apps.map((app) => compensateApp(run, app)));
  }
  for (let stage = failedStage + 1; stage < run.input.stages.length; stage++) {
    for (const app of run.input.stages[stage].apps)
      await markApp(run, app, { state: 'untouched', why: `Stage ${stage + 1} was not reached: the run did not touch ${app}.` });
  }
}

async function compensateApp(run: RunningRun, app: string): Promise<void> {
  const record = run.apps[app];
  if (!record.deploymentId) {
    const why = record.why ?? `The run did not change ${app}.`;
    return markApp(run, app, { state: 'left', why, after: await live(run, app) });
  }
  await markApp(run, app, { state: 'compensating' });
  const done: PipelineCompensation = await runActions.compensatePipelineApp({
    ...run.ref(app),
    deploymentId: record.deploymentId,
    before: record.before ?? null,
  });
  if ('left' in done) return markApp(run, app, { state: 'left', why: done.left, after: await live(run, app) });
  const { deploymentId } = 'rolledBack' in done ? done.rolledBack : done.automatic;
  const to = 'rolledBack' in done ? done.rolledBack.to : done.automatic.to;
  await markApp(run, app, {
    compensation: { deploymentId, ...(to !== undefined ? { rolledBackTo: to } : {}), ...('automatic' in done ? { automatic: true } : {}) },
  });
  const seen = await ended(run, deploymentId, app);
  const after = await live(run, app);
  const how = 'automatic' in done ? 'its automatic rollback (after its failed bake)' : `the rollback ${deploymentId}`;
  if (seen.state === 'succeeded')
    return markApp(run, app, {
      state: 'compensated',
      after,
      why: `${record.why ? `${record.why} ` : ''}Back on the code of v${to ?? record.before?.version} through ${how}.`,
    });
  return markApp(run, app, {
    state: 'compensation_failed',
    after,
    why: `${how[0].toUpperCase()}${how.slice(1)} ended ${seen.state}${seen.error ? `: ${seen.error.message}` : ''}.`,
  });
}

const live = (run: RunningRun, app: string) => runSteps.pipelineAppLive({ user: run.input.user, app });
