import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGatewayApp } from '../../apps/gateway/create-gateway';
import { ServiceSettings } from '../../libs/config';
import { appLogDestination } from './app-logs';

/** One more gateway on the harness's configuration (the same database): limits meant per user must hold across both. */
export async function startGateway(config: ServiceSettings): Promise<{ app: NestFastifyApplication; baseUrl: string }> {
  const app = await createGatewayApp(config, { logDestination: appLogDestination() });
  await app.listen(0, '127.0.0.1');
  return { app, baseUrl: await app.getUrl() };
}
