import { Injectable } from '@nestjs/common';
import { PipelineRunSteps } from '../pipelines';
import type { PipelineAppRef, PipelineRunActivitiesApi } from '../../workflows/activities';
import type {
  PipelineCompensation,
  PipelineDeploymentState,
  PipelineEvent,
  PipelinePromotion,
  PipelineReleaseRef,
  PipelineRunMark,
} from '../../workflows/types';
import { Activity } from './activity';
import { NotificationActivities } from './notification.activities';

/** A release pipeline's run's activities (docs/contract.md#release-pipelines): each hands over to PipelineRunSteps. */
@Injectable()
export class PipelineRunActivities implements PipelineRunActivitiesApi {
  constructor(
    private readonly steps: PipelineRunSteps,
    private readonly notifications: NotificationActivities,
  ) {}

  @Activity()
  promotePipelineApp(input: PipelineAppRef & { stage: number }): Promise<PipelinePromotion> {
    return this.steps.promote(input);
  }

  @Activity()
  pipelineDeployment(input: { deploymentId: string; app: string; user: string }): Promise<PipelineDeploymentState> {
    return this.steps.deployment(input.deploymentId);
  }

  @Activity()
  compensatePipelineApp(
    input: PipelineAppRef & { deploymentId: string; before: PipelineReleaseRef | null },
  ): Promise<PipelineCompensation> {
    return this.steps.compensate(input);
  }

  @Activity()
  pipelineAppLive(input: { user: string; app: string }): Promise<PipelineReleaseRef | null> {
    return this.steps.live(input.user, input.app);
  }

  @Activity()
  markPipelineRun(input: PipelineRunMark): Promise<void> {
    return this.steps.mark(input);
  }

  /** To the subscribers of every app of the run, source included, who chose the event; one delivery per (run, event, subscription). */
  @Activity()
  async notifyPipeline(input: { runId: string; event: PipelineEvent }): Promise<void> {
    const run = await this.steps.run(input.runId);
    if (!run) return;
    for (const app of [run.source, ...run.stages.flatMap((stage) => stage.apps)])
      await this.notifications.notify({
        deploymentId: input.runId,
        user: run.user,
        repository: run.repository,
        commit: run.release.commit,
        app,
        event: input.event,
      });
  }
}
