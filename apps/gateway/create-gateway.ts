import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '../../libs/config';
import { GatewayModule } from './gateway.module';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { installRequestContext } from './http/request-context';

/** Builds the gateway (not listening yet): used by main.ts, tests and benchmarks alike. */
export async function createGatewayApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.gateway.bodyLimitBytes,
    connectionTimeout: 30_000, // slow-loris bound: a request must arrive within this
    requestTimeout: 30_000,
    keepAliveTimeout: 10_000,
    routerOptions: { maxParamLength: 300 },
  });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), adapter, {
    logger: loggerLevels(config.logLevel),
    bodyParser: false,
  });
  installRequestContext(app.getHttpAdapter().getInstance(), config.gateway.bodyLimitBytes);
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.enableShutdownHooks();
  return app;
}

export function loggerLevels(level: AppConfig['logLevel']): Array<'error' | 'warn' | 'log' | 'debug'> {
  const order = ['error', 'warn', 'log', 'debug'] as const;
  return order.slice(0, order.indexOf(level) + 1);
}
