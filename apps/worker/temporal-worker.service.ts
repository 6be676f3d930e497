import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { registerSearchAttributes } from '../../libs/deployments';
import { DeploymentActivities } from './deployment-activities';
import { WORKER_TUNING } from './worker-tuning';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  /** A pre-built workflow bundle (scripts/bundle-workflows); without it the worker bundles at start-up. */
  workflowBundlePath?: string;
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
}
export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

/** Runs the Temporal worker inside the Nest application, with the activities as Nest providers. */
@Injectable()
export class TemporalWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private worker?: Worker;
  private connection?: NativeConnection;
  private running?: Promise<void>;

  constructor(
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    private readonly activities: DeploymentActivities,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const client = await Connection.connect({ address: this.options.address });
    try {
      await registerSearchAttributes(client, this.options.namespace);
    } finally {
      await client.close();
    }
    const connection = (this.connection = await NativeConnection.connect({ address: this.options.address }));
    const bundlePath = this.options.workflowBundlePath;
    try {
      this.worker = await Worker.create({
        connection,
        namespace: this.options.namespace,
        taskQueue: this.options.taskQueue,
        ...(bundlePath && existsSync(bundlePath)
          ? { workflowBundle: { codePath: bundlePath } }
          : { workflowsPath: require.resolve('../../workflows') }),
        activities: this.activities.forWorker(),
        ...WORKER_TUNING,
        maxConcurrentActivityTaskExecutions: this.options.maxConcurrentActivities,
        maxConcurrentWorkflowTaskExecutions: this.options.maxConcurrentWorkflowTasks,
        shutdownGraceTime: '10 seconds',
      });
    } catch (error) {
      this.connection = undefined;
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.running = this.worker.run().catch((error: Error) => {
      this.logger.error(`worker stopped: ${error.stack ?? String(error)}`);
      process.exitCode = 1;
    });
    this.logger.log(`polling task queue ${this.options.taskQueue} on ${this.options.address} (${this.options.namespace})`);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.running;
    // The worker does not own its connection: left open, it keeps its sockets (and a process
    // that embeds workers, like the tests, its native resources) until the process exits.
    await this.connection?.close().catch((error: Error) => this.logger.warn(`closing the Temporal connection: ${error.message}`));
    this.connection = undefined;
  }
}
