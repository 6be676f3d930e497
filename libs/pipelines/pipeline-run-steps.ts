import { Injectable, Logger } from '@nestjs/common';
import { DeploymentsRepository, hasEnded } from '../deployments/deployments.repository';
import { deploymentId, pipelineActionKey, releaseWorkflowId } from '../deployments/workflow-ids';
import { ApiError, Errors } from '../errors';
import { ReleasesRepository } from '../releases/releases.repository';
import { ReleasesService } from '../releases/releases.service';
import type { PipelineAppRef } from '../../workflows/activities';
import type {
  PipelineCompensation,
  PipelineDeploymentState,
  PipelinePromotion,
  PipelineReleaseRef,
  PipelineRunMark,
} from '../../workflows/types';
import { PipelinesRepository } from './pipelines.repository';

/**
 * The worker's side of release pipelines (docs/contract.md#release-pipelines): what the run's
 * activities do. Promotions and compensations go through the releases' own paths (libs/releases),
 * each keyed by (run, app), so a retried activity never starts a second one.
 */
@Injectable()
export class PipelineRunSteps {
  private readonly logger = new Logger('Pipelines');

  constructor(
    private readonly pipelines: PipelinesRepository,
    private readonly releases: ReleasesRepository,
    private readonly releaseActions: ReleasesService,
    private readonly deployments: DeploymentsRepository,
  ) {}

  /** The app's "before" (read once), then its promotion; an error the API would answer (the app gone, the code unavailable) refuses it. */
  async promote(ref: PipelineAppRef): Promise<PipelinePromotion> {
    const live = await this.releases.live(ref.user, ref.app);
    const before = await this.pipelines.claimBefore(ref.runId, ref.app, live ? { version: live.version, commit: live.commit } : null);
    try {
      const key = pipelineActionKey(ref.runId, ref.app, 'promote');
      const started = await this.releaseActions.promoteRelease(ref.user, ref.source, ref.release, ref.app, key, `pipeline:${ref.pipeline}`);
      this.logger.log({
        msg: `run ${ref.runId} of ${ref.user}/${ref.pipeline}: v${ref.release} of ${ref.source} to ${ref.app} as ${started.id}`,
      });
      return { deploymentId: started.id, before };
    } catch (error) {
      if (error instanceof ApiError && error.code !== Errors.appsDbFailed.code)
        return { refused: { code: error.code, message: error.message }, before };
      throw error;
    }
  }

  async deployment(id: string): Promise<PipelineDeploymentState> {
    const record = await this.deployments.findById(id);
    if (!record) return { ended: true, error: { code: Errors.deploymentsNotFound.code, message: `No deployment ${id}.` } };
    const release = record.state === 'succeeded' ? await this.releases.forDeployment(id) : null;
    return {
      ended: hasEnded(record),
      ...(record.state ? { state: record.state } : {}),
      ...(record.error ? { error: record.error } : {}),
      ...(release ? { release: release.version } : {}),
    };
  }

  /**
   * Undoes the run's change of the app (docs/contract.md#release-pipelines), once: asked again,
   * the compensation already started answers. The app's release is the run's: back to `before`
   * (no lock). The run's deployment made none (it failed): its automatic rollback, when its bake
   * started one, else nothing. Someone else's release is live: left alone, saying so.
   */
  async compensate(ref: PipelineAppRef & { deploymentId: string; before: PipelineReleaseRef | null }): Promise<PipelineCompensation> {
    const key = pipelineActionKey(ref.runId, ref.app, 'compensate');
    const started = await this.deployments.findById(deploymentId(releaseWorkflowId(ref.user, ref.app, 'rollback', key)));
    if (started) return { rolledBack: { deploymentId: started._id, to: started.rolledBackTo ?? ref.before?.version ?? 0 } };
    const made = await this.releases.forDeployment(ref.deploymentId);
    if (!made) {
      const automatic = await this.deployments.findById(
        deploymentId(releaseWorkflowId(ref.user, ref.app, 'auto-rollback', `auto-rollback-of-${ref.deploymentId}`)),
      );
      if (automatic)
        return {
          automatic: { deploymentId: automatic._id, ...(automatic.rolledBackTo !== undefined ? { to: automatic.rolledBackTo } : {}) },
        };
      return { left: `The run's promotion ${ref.deploymentId} made no release: the run did not change ${ref.app}.` };
    }
    const live = await this.releases.live(ref.user, ref.app);
    if (live?.deployment !== made.deployment)
      return {
        left: live
          ? `${ref.app} was changed by someone else during the run (v${live.version}, ${live.cause} by ${live.by}, is live): left alone.`
          : `${ref.app} has no live release any more (undeployed during the run): left alone.`,
      };
    if (!ref.before)
      return {
        left: `${ref.app} had no release before the run: nothing to go back to; v${made.version} stays live (undeploy it by hand).`,
      };
    try {
      const rollback = await this.releaseActions.restoreRelease(ref.user, ref.app, ref.before.version, key, `pipeline:${ref.pipeline}`);
      this.logger.log({
        msg: `run ${ref.runId} of ${ref.user}/${ref.pipeline}: ${ref.app} back to v${ref.before.version} as ${rollback.id}`,
      });
      return { rolledBack: { deploymentId: rollback.id, to: ref.before.version } };
    } catch (error) {
      if (error instanceof ApiError && error.code !== Errors.appsDbFailed.code)
        return { left: `${ref.app} could not go back to v${ref.before.version}: ${error.message}` };
      throw error;
    }
  }

  async live(user: string, app: string): Promise<PipelineReleaseRef | null> {
    const live = await this.releases.live(user, app);
    return live ? { version: live.version, commit: live.commit } : null;
  }

  mark(mark: PipelineRunMark): Promise<void> {
    return this.pipelines.markRun(mark);
  }

  /** The run's record, for its notifications. */
  run(runId: string) {
    return this.pipelines.findRun(runId);
  }
}
