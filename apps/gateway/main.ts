import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadServiceSettings } from '../../libs/config';
import { IndexCreationError } from '../../libs/persistence';
import { createGatewayApp } from './create-gateway';

async function main(): Promise<void> {
  const config = loadServiceSettings();
  const app = await createGatewayApp(config);
  await app.listen(config.gateway.port, config.gateway.host);
  new Logger('Gateway').log(`listening on ${await app.getUrl()}`);
}

main().catch((error) => {
  console.error(error instanceof ConfigError || error instanceof IndexCreationError ? error.message : error);
  process.exit(1);
});
