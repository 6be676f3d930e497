import { defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import { compensate } from './pipeline-run/compensate';
import { runNotifications, runSteps } from './pipeline-run/proxies';
import { RunningRun } from './pipeline-run/running-run';
import { awaitStageApproval, bakeStage, promoteStage, StageFailure } from './pipeline-run/stage';
import type { ApprovalAnswer, ApprovalRequest, PipelineEvent, PipelineRunInput, PipelineRunOutcome } from './types';

/** Approve the stage the run waits for (docs/contract.md#release-pipelines): answers how many approved and whether it proceeds. */
export const approveStageUpdate = defineUpdate<ApprovalAnswer, [ApprovalRequest]>('approve');
/** Reject it: the run fails and compensates. */
export const rejectStageUpdate = defineUpdate<ApprovalAnswer, [ApprovalRequest]>('reject');
export const runStateQuery = defineQuery<ReturnType<RunningRun['view']>>('runState');

/**
 * A release pipeline's run (docs/contract.md#release-pipelines): stage by stage, its approval,
 * then the release promoted to every app of it in parallel, each through its own line and bake,
 * then the stage's bake. A stage that fails compensates every app the run changed, in reverse
 * stage order, and the run ends `failed`; its record is the report.
 */
export async function pipelineRun(input: PipelineRunInput): Promise<PipelineRunOutcome> {
  const run = new RunningRun(input);
  const validator = (request: ApprovalRequest) => run.validate(request);
  setHandler(approveStageUpdate, (request) => run.decide(request, 'approved'), { validator });
  setHandler(rejectStageUpdate, (request) => run.decide(request, 'rejected'), { validator });
  setHandler(runStateQuery, () => run.view());
  await runSteps.markPipelineRun({
    runId: input.runId,
    state: 'running',
    stage: 0,
    reason: `Promoting v${input.release} of ${input.source}.`,
  });
  await notify(input, 'pipeline.started');
  for (let stage = 0; stage < input.stages.length; stage++) {
    run.stage = stage;
    const failure = await runStage(run, stage);
    if (failure) {
      await compensate(run, stage);
      const reason = `Stage ${stage + 1} failed (${failure.code}): ${failure.message} Every app the run changed went back to its release before the run, unless the report says otherwise.`;
      run.state = 'failed';
      await runSteps.markPipelineRun({ runId: input.runId, state: 'failed', stage, reason, ended: true });
      await notify(input, 'pipeline.compensated');
      await notify(input, 'pipeline.failed');
      return { state: 'failed', stage, reason };
    }
  }
  run.state = 'succeeded';
  const reason = `v${input.release} of ${input.source} reached every app of the pipeline.`;
  await runSteps.markPipelineRun({ runId: input.runId, state: 'succeeded', reason, ended: true });
  await notify(input, 'pipeline.succeeded');
  return { state: 'succeeded', reason };
}

/** A stage: its approval, its promotions, its bake; the first failure, if any. */
async function runStage(run: RunningRun, stage: number): Promise<StageFailure | undefined> {
  const refused = await awaitStageApproval(run, stage);
  if (refused) return refused;
  await runSteps.markPipelineRun({ runId: run.input.runId, state: 'running', stage });
  return (await promoteStage(run, stage)) ?? (await bakeStage(run, stage));
}

/** A notification never fails the run. */
async function notify(input: PipelineRunInput, event: PipelineEvent): Promise<void> {
  await runNotifications.notifyPipeline({ runId: input.runId, event }).catch(() => undefined);
}
