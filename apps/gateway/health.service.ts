import { Injectable } from '@nestjs/common';
import { Db } from 'mongodb';
import { InjectDb } from '../../libs/persistence';
import { DeploymentWorkflowsClient } from '../../libs/deployments';

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** 'ok', or what failed. */
  checks: { mongo: string; temporal: string };
}

@Injectable()
export class HealthService {
  constructor(
    @InjectDb() private readonly db: Db,
    private readonly workflows: DeploymentWorkflowsClient,
  ) {}

  async check(): Promise<HealthReport> {
    const [mongo, temporal] = await Promise.all([
      this.db.command({ ping: 1 }).then(
        () => 'ok',
        (error: Error) => `unreachable: ${error.message}`,
      ),
      this.workflows.ping().then(
        () => 'ok',
        (error: Error) => `unreachable: ${error.message}`,
      ),
    ]);
    return { status: mongo === 'ok' && temporal === 'ok' ? 'ok' : 'degraded', checks: { mongo, temporal } };
  }
}
