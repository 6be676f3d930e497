import { Injectable } from '@nestjs/common';
import { PreviewLifecycle } from '../previews';
import type { PreviewActivitiesApi, PreviewRef } from '../../workflows/activities';
import type { PreviewDeploymentState, PreviewEnd, PreviewHead } from '../../workflows/types';
import { Activity } from './activity';
import { NotificationActivities } from './notification.activities';

/** The preview workflow's activities (docs/contract.md#preview-apps): each hands over to the previews' lifecycle. */
@Injectable()
export class PreviewActivities implements PreviewActivitiesApi {
  constructor(
    private readonly lifecycle: PreviewLifecycle,
    private readonly notifications: NotificationActivities,
  ) {}

  @Activity()
  deployPreviewHead(input: PreviewRef & { head: PreviewHead }): Promise<{ deploymentId: string } | null> {
    return this.lifecycle.deployHead(input, input.head);
  }

  @Activity()
  markPreview(
    input: PreviewRef & { state: 'awaiting_approval' | 'live' | 'failed' | 'tearing_down'; reason: string; sha?: string },
  ): Promise<void> {
    return this.lifecycle.mark(input, input.state, input.reason, input.sha);
  }

  @Activity()
  previewDeployment(input: { deploymentId: string }): Promise<PreviewDeploymentState> {
    return this.lifecycle.deploymentState(input.deploymentId);
  }

  @Activity()
  pullRequestState(input: PreviewRef): Promise<'open' | 'closed' | 'unknown'> {
    return this.lifecycle.pullRequestState(input);
  }

  @Activity()
  startPreviewTeardown(input: PreviewRef & { attempt: number; because: PreviewEnd }): Promise<{ deploymentId?: string }> {
    return this.lifecycle.startTeardown(input, input.attempt, input.because);
  }

  @Activity()
  async previewRemoved(input: PreviewRef & { because: PreviewEnd; deploymentId?: string; failed?: string }): Promise<void> {
    await this.lifecycle.removed(input, input.because, input.failed);
    await this.notifications.notify({
      deploymentId: input.deploymentId ?? `preview-${input.user}-${input.app}-${input.pr}`,
      user: input.user,
      repository: input.repository,
      commit: 'none',
      app: input.app,
      event: 'preview.removed',
    });
  }

  @Activity()
  notifyPreviewReady(input: PreviewRef & { deploymentId: string; sha: string }): Promise<void> {
    return this.notifications.notify({
      deploymentId: input.deploymentId,
      user: input.user,
      repository: input.repository,
      commit: input.sha,
      app: input.app,
      event: 'preview.ready',
    });
  }
}
