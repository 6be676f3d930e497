import fastifyStatic from '@fastify/static';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { ServiceSettings } from '../../libs/config';
import { createLogger } from '../../libs/logging';
import { GatewayModule } from './gateway.module';
import { MAX_PARAM_LENGTH } from './http/api-errors';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { answerFastifyError, answerFrameworkError, installRequestContext } from './http/request-context';
import { GatewayValidationPipe } from './http/validation.pipe';
import { genRequestId, installObservability } from './observability';
import { setupOpenApi } from './openapi';
import { STATUS_PAGE_DIR } from './status-page/status-page-files';

/** Nest's Fastify adapter, answering errors raised outside routes with the API's error JSON (docs/contract.md#errors) (one handler, set once). */
class GatewayFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(): ReturnType<FastifyAdapter['setErrorHandler']> {
    return this.getInstance().setErrorHandler(answerFastifyError);
  }
}

/** Builds the gateway (not listening yet): used by main.ts, tests and benchmarks alike. */
export async function createGatewayApp(
  config: ServiceSettings,
  options: { logDestination?: DestinationStream } = {},
): Promise<NestFastifyApplication> {
  const logger = createLogger(config, options.logDestination);
  const adapter = new GatewayFastifyAdapter({
    bodyLimit: config.gateway.bodyLimitBytes,
    connectionTimeout: config.gateway.requestTimeoutMs, // slow-loris bound: a request must arrive within this
    requestTimeout: config.gateway.requestTimeoutMs,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true },
    genReqId: genRequestId,
    frameworkErrors: answerFrameworkError, // a bad percent-encoding or an over-long path parameter, found while routing
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config, logger), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  installRequestContext(app.getHttpAdapter().getInstance(), config.gateway.bodyLimitBytes);
  installObservability(app.getHttpAdapter().getInstance());
  await app.register(fastifyStatic, { root: STATUS_PAGE_DIR, serve: false }); // reply.sendFile for the status page; its routes are StatusPageController's
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(new GatewayValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  setupOpenApi(app);
  app.enableShutdownHooks();
  return app;
}
