import { Injectable, Logger } from '@nestjs/common';
import { GithubClient, GithubTokens } from '../github';
import type { LineActivitiesApi } from '../../workflows/activities';
import type { CommitComparison, LineEvent, LineHead } from '../../workflows/types';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { ReleaseLinesRepository } from './release-lines.repository';
import { Activity } from './activity';

/** What the apps' release lines (and deployments talking to them) do outside the workflow. */
@Injectable()
export class ReleaseLineActivities implements LineActivitiesApi {
  private readonly logger = new Logger('ReleaseLine');

  constructor(
    private readonly workflows: DeploymentWorkflowsClient,
    private readonly lines: ReleaseLinesRepository,
    private readonly github: GithubClient,
    private readonly tokens: GithubTokens,
  ) {}

  @Activity()
  signalLine(input: { user: string; app: string; event: LineEvent }): Promise<void> {
    return this.workflows.signalLine(input.user, input.app, input.event);
  }

  /**
   * GitHub's answer, or `unknown` when it gives none (down, or a commit it does not know): the
   * line then orders by push time rather than holding every deployment of the app.
   */
  @Activity()
  async compareCommits(input: { user: string; app: string; repository: string; base: string; head: string }): Promise<CommitComparison> {
    try {
      return await this.github.compare(
        input.repository,
        input.base,
        input.head,
        await this.tokens.tokenFor(input.user, undefined, input.repository),
      );
    } catch (error) {
      this.logger.warn(`${input.user}/${input.app}: ${(error as Error).message}; ordering by push time`);
      return 'unknown';
    }
  }

  @Activity()
  readLineHead(input: { user: string; app: string }): Promise<LineHead | null> {
    return this.lines.head(input.user, input.app);
  }

  @Activity()
  writeLineHead(input: { user: string; app: string; head: LineHead }): Promise<void> {
    return this.lines.setHead(input.user, input.app, input.head);
  }
}
