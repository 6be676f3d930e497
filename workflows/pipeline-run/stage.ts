import { condition, sleep } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { PipelineAppRecord, PipelineDeploymentState } from '../types';
import { runActions, runSteps } from './proxies';
import type { RunningRun } from './running-run';

/** Why a stage failed: the first app's failure (or the approval's), for the run's end. */
export interface StageFailure {
  code: string;
  message: string;
}

/** Writes what changed of one app to the run's record, and keeps it in the run's state. */
export async function markApp(run: RunningRun, app: string, change: Partial<PipelineAppRecord>): Promise<void> {
  Object.assign(run.apps[app], change);
  await runSteps.markPipelineRun({ runId: run.input.runId, apps: { [app]: change } });
}

/** Looks at a deployment on a durable timer until its record says it ended. */
export async function ended(run: RunningRun, deploymentId: string, app: string): Promise<PipelineDeploymentState> {
  for (;;) {
    await sleep(run.pollMs);
    const seen = await runSteps.pipelineDeployment({ deploymentId, app, user: run.input.user });
    if (seen.ended) return seen;
  }
}

/**
 * One app of a stage: its "before" and the promotion of the run's release (through its own line,
 * its own approval, window and bake), then its deployment until it ends. Never throws: a failure
 * is the app's state, and the stage's.
 */
async function promoteApp(run: RunningRun, app: string, stage: number): Promise<StageFailure | undefined> {
  const promotion = await runActions.promotePipelineApp({ ...run.ref(app), stage });
  if ('refused' in promotion) {
    await markApp(run, app, { state: 'failed', before: promotion.before, error: promotion.refused, why: promotion.refused.message });
    return promotion.refused;
  }
  await markApp(run, app, { state: 'promoting', before: promotion.before, deploymentId: promotion.deploymentId });
  const seen = await ended(run, promotion.deploymentId, app);
  if (seen.state === 'succeeded') {
    await markApp(run, app, { state: 'promoted', ...(seen.release !== undefined ? { release: seen.release } : {}) });
    return undefined;
  }
  const error = seen.error ?? {
    code: Errors.internal.code,
    message: `The promotion ${promotion.deploymentId} ended ${seen.state ?? 'unknown'}.`,
  };
  await markApp(run, app, { state: 'failed', error, why: `The promotion ${promotion.deploymentId} ended ${seen.state}: ${error.message}` });
  return { code: error.code, message: `${app}: ${error.message}` };
}

/** Promotes every app of the stage in parallel and waits for all of them (none is left mid-deployment); the first failure, if any. */
export async function promoteStage(run: RunningRun, stage: number): Promise<StageFailure | undefined> {
  const failures = await Promise.all(run.input.stages[stage].apps.map((app) => promoteApp(run, app, stage)));
  return failures.find((failure) => failure !== undefined);
}

/**
 * A stage's approval, before it is promoted (docs/contract.md#release-pipelines): the run waits in
 * `awaiting_approval`, on a durable timer, for enough approvals, a rejection or the timeout.
 */
export async function awaitStageApproval(run: RunningRun, stage: number): Promise<StageFailure | undefined> {
  const rule = run.input.stages[stage].approval;
  if (!rule) return undefined;
  const until = Date.now() + rule.timeoutMs;
  run.approval = { stage, rule, required: rule.required, reviewers: rule.reviewers, until: new Date(until).toISOString(), decisions: [] };
  run.state = 'awaiting_approval';
  const { rule: _rule, ...approval } = run.approval;
  await runSteps.markPipelineRun({
    runId: run.input.runId,
    state: 'awaiting_approval',
    stage,
    approval,
    reason: `Stage ${stage + 1} awaits ${rule.required} approval${rule.required === 1 ? '' : 's'} from ${rule.reviewers.join(', ')} until ${approval.until}.`,
  });
  const decided = await condition(() => run.approval!.outcome !== undefined, Math.max(until - Date.now(), 1));
  if (!decided) run.approval.outcome = 'expired';
  const { rule: _r, ...closed } = run.approval;
  run.state = 'running';
  await runSteps.markPipelineRun({ runId: run.input.runId, state: 'running', approval: closed });
  const last = closed.decisions[closed.decisions.length - 1];
  if (closed.outcome === 'approved') return undefined;
  if (closed.outcome === 'rejected')
    return {
      code: Errors.deployApprovalRejected.code,
      message: `Stage ${stage + 1} was rejected by ${last.user}${last.comment ? `: ${last.comment}` : '.'}`,
    };
  return { code: Errors.deployApprovalExpired.code, message: `No decision on stage ${stage + 1} came by ${closed.until}; it expired.` };
}

/**
 * A stage's `bake`: once every app of it is live, the run waits, then checks that each still has
 * the run's release live; one that does not (rolled back, or replaced) fails the stage.
 */
export async function bakeStage(run: RunningRun, stage: number): Promise<StageFailure | undefined> {
  const { bakeMs, apps } = run.input.stages[stage];
  if (bakeMs <= 0) return undefined;
  run.state = 'baking';
  await runSteps.markPipelineRun({
    runId: run.input.runId,
    state: 'baking',
    stage,
    reason: `Stage ${stage + 1} bakes for ${Math.round(bakeMs / 1000)} s.`,
  });
  await sleep(bakeMs);
  run.state = 'running';
  for (const app of apps) {
    const live = await runSteps.pipelineAppLive({ user: run.input.user, app });
    const made = run.apps[app].release;
    if (!live || live.version !== made) {
      const why = `${app} no longer has the run's release v${made} live after the stage's bake (${live ? `v${live.version} is` : 'none is'}).`;
      await markApp(run, app, { why });
      return { code: Errors.pipelinesBakeFailed.code, message: why };
    }
  }
  return undefined;
}
