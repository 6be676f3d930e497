import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import { AppConfig } from '../../libs/config';
import { loggerLevels } from '../gateway/create-gateway';
import { WorkerOptions } from './temporal-worker.service';
import { WorkerModule } from './worker.module';

/** The worker as a Nest application context (no HTTP): started by main.ts and by tests. */
export async function createWorkerApp(config: AppConfig, worker: Partial<WorkerOptions> = {}): Promise<INestApplicationContext> {
  installTemporalLogger(config.logLevel);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, worker), { logger: loggerLevels(config.logLevel) });
  app.enableShutdownHooks();
  await app.init();
  return app;
}

/** The Temporal SDK logs at the product's level; its runtime is installed once per process. */
function installTemporalLogger(level: AppConfig['logLevel']): void {
  const sdkLevel: LogLevel = ({ error: 'ERROR', warn: 'WARN', log: 'INFO', debug: 'DEBUG' } as const)[level];
  try {
    Runtime.install({ logger: new DefaultLogger(sdkLevel) });
  } catch {
    // Installed already by an earlier worker in this process (tests start several).
  }
}
