import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import { Logger } from 'nestjs-pino';
import type { DestinationStream, Logger as Pino } from 'pino';
import { ServiceSettings } from '../../libs/config';
import { temporalLogFunction } from '../../libs/logging';
import { WorkerOptions } from './temporal-worker.service';
import { createWorkerLogger, sdkLineDeployment } from './worker-logger';
import { WorkerModule } from './worker.module';

/** The worker as a Nest application context (no HTTP): started by main.ts and by tests. */
export async function createWorkerApp(
  config: ServiceSettings,
  worker: Partial<WorkerOptions> = {},
  options: { logDestination?: DestinationStream } = {},
): Promise<INestApplicationContext> {
  const logger = createWorkerLogger(config, options.logDestination);
  installTemporalRuntime(config, logger);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, worker, logger), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  return app;
}

/**
 * The Temporal SDK (its native core included) logs through the product's logger at its level, and exports its own metrics
 * for Prometheus on TEMPORAL_METRICS_PORT when set; its runtime is installed once per process.
 */
function installTemporalRuntime(config: ServiceSettings, logger: Pino): void {
  const sdkLevel: LogLevel = ({ error: 'ERROR', warn: 'WARN', log: 'INFO', debug: 'DEBUG' } as const)[config.logLevel];
  const { host, temporalPort } = config.metrics;
  try {
    Runtime.install({
      logger: new DefaultLogger(sdkLevel, temporalLogFunction(logger, sdkLineDeployment)),
      telemetryOptions: {
        // The SDK core's own lines (e.g. a slow workflow task) go through the same logger, not to stderr.
        logging: { filter: { core: sdkLevel, other: sdkLevel }, forward: {} },
        ...(temporalPort !== undefined && { metrics: { prometheus: { bindAddress: `${host}:${temporalPort}` } } }),
      },
    });
  } catch {
    // Installed already by an earlier worker in this process (tests start several).
  }
}
