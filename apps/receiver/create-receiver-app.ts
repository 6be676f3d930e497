import fastifyMultipart from '@fastify/multipart';
import { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ReceiverErrorFilter } from './receiver-error.filter';
import { ReceiverModule } from './receiver.module';
import { ReceiverOptions } from './receiver-options';

/**
 * The reference receiver as a library: a Nest app on Fastify, initialised but not listening
 * (call `listen`). `init` loads persisted state, resumes pending packages and marks interrupted ones.
 */
export async function createReceiverApp(
  options: ReceiverOptions,
  logger: LogLevel[] | LoggerService | false = ['error', 'warn', 'log'],
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    ReceiverModule.forOptions(options),
    new FastifyAdapter({ bodyLimit: options.bodyLimitBytes, genReqId: () => randomUUID() }),
    {
      logger,
      abortOnError: false,
    },
  );
  await app.register(fastifyMultipart as never);
  app.useGlobalFilters(new ReceiverErrorFilter());
  await app.init();
  return app;
}
