import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, WorkflowBundleOption } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { TemporalConnectionSettings } from '../../libs/config';
import {
  limitActivitiesPerUser,
  registerSearchAttributes,
  TemporalConnectionOptions,
  temporalConnectionOptions,
  watchTemporalCertificates,
} from '../../libs/deployments';
import { WorkerActivities } from '../../libs/pipeline';
import { reportStoreFailures } from './store-failures';
import { WORKER_TUNING } from './worker-tuning';

export interface WorkerOptions extends TemporalConnectionSettings {
  namespace: string;
  taskQueue: string;
  /** Notification deliveries: their own queue and slots, so slow subscribers never hold a deployment. */
  notificationsTaskQueue: string;
  maxConcurrentNotifications: number;
  /** Activity tasks of one user the server dispatches per second on `taskQueue` (0: no limit). */
  activitiesPerUserPerSecond: number;
  /** A pre-built workflow bundle (`WORKFLOW_BUNDLE`: the bench's workers share one); without it the worker bundles at start-up. */
  workflowBundlePath?: string;
  maxConcurrentActivities: number;
  maxConcurrentWorkflowTasks: number;
  /** STORE_OUTAGE_TOLERANCE: how long a step's store failures are retried (docs/reliability.md#store-failures-inside-a-step). */
  storeOutageToleranceMs: number;
}
export const WORKER_OPTIONS = Symbol('WORKER_OPTIONS');

/**
 * Runs the Temporal workers inside the Nest application, with the activities as Nest providers:
 * one on the deployments' task queue, one on the notifications' (docs/reliability.md#tenant-isolation-review).
 */
@Injectable()
export class TemporalWorkerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private workers: Worker[] = [];
  private connection?: NativeConnection;
  private running?: Promise<unknown>;
  private stopWatching = () => {};

  constructor(
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    private readonly activities: WorkerActivities,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const connectionOptions = temporalConnectionOptions(this.options);
    const client = await Connection.connect(connectionOptions);
    try {
      await registerSearchAttributes(client, this.options.namespace);
      const { namespace, taskQueue, activitiesPerUserPerSecond: perSecond } = this.options;
      const refused = await limitActivitiesPerUser(client, { namespace, taskQueue }, perSecond);
      if (refused)
        this.logger.warn(`the server keeps no per-user activity rate on ${taskQueue} (${refused}); users' tasks are served in order`);
    } finally {
      await client.close();
    }
    const connection = (this.connection = await NativeConnection.connect(connectionOptions));
    const { namespace, taskQueue, notificationsTaskQueue } = this.options;
    try {
      const workflowBundle = await this.workflowBundle();
      const common = { connection, namespace, workflowBundle, shutdownGraceTime: '10 seconds' } as const;
      this.workers = [
        await Worker.create({
          ...common,
          taskQueue,
          activities: reportStoreFailures(this.activities.forDeployments(), { toleranceMs: this.options.storeOutageToleranceMs }),
          ...WORKER_TUNING,
          maxConcurrentActivityTaskExecutions: this.options.maxConcurrentActivities,
          maxConcurrentWorkflowTaskExecutions: this.options.maxConcurrentWorkflowTasks,
        }),
        await Worker.create({
          ...common,
          taskQueue: notificationsTaskQueue,
          activities: this.activities.forNotifications(),
          maxConcurrentActivityTaskExecutions: this.options.maxConcurrentNotifications,
          maxConcurrentWorkflowTaskExecutions: Math.min(this.options.maxConcurrentNotifications, this.options.maxConcurrentWorkflowTasks),
        }),
      ];
    } catch (error) {
      this.workers = [];
      this.connection = undefined;
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.running = Promise.all(
      this.workers.map((worker) =>
        worker.run().catch((error: Error) => {
          this.logger.error(`worker stopped: ${error.stack ?? String(error)}`);
          process.exitCode = 1;
        }),
      ),
    );
    this.stopWatching = watchTemporalCertificates(this.options, (renewed) => void this.reconnect(renewed));
    this.logger.log(`polling task queues ${taskQueue} and ${notificationsTaskQueue} on ${this.options.address} (${namespace})`);
  }

  /**
   * A renewed certificate: the workers move to a new connection without stopping (the SDK's
   * `Worker.connection` setter); the old one closes once they have left it.
   */
  private async reconnect(options: TemporalConnectionOptions): Promise<void> {
    const previous = this.connection;
    try {
      const connection = await NativeConnection.connect(options);
      try {
        if (this.connection !== previous) throw new Error('the workers stopped meanwhile');
        for (const worker of this.workers) worker.connection = connection;
      } catch (error) {
        await connection.close().catch(() => undefined);
        throw error;
      }
      this.connection = connection;
      await previous?.close();
    } catch (error) {
      this.logger.warn(
        `connecting with the renewed Temporal certificate failed, the workers keep the current connection: ${(error as Error).message}`,
      );
    }
  }

  /** The workflows, bundled once for both workers (or a prebuilt bundle). */
  private async workflowBundle(): Promise<WorkflowBundleOption> {
    const bundlePath = this.options.workflowBundlePath;
    if (bundlePath && existsSync(bundlePath)) return { codePath: bundlePath };
    return bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: Runtime.instance().logger });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopWatching();
    for (const worker of this.workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await this.running;
    // The worker does not own its connection: left open, it keeps its sockets (and a process
    // that embeds workers, like the tests, its native resources) until the process exits.
    await this.connection?.close().catch((error: Error) => this.logger.warn(`closing the Temporal connection: ${error.message}`));
    this.connection = undefined;
  }
}
