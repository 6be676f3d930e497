import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { loadServiceSettings } from '../../libs/config';
import { GatewayModule } from './gateway.module';
import { buildOpenApiDocument } from './openapi';

/**
 * Writes the gateway's OpenAPI document (the one served at /docs/json) to a file, or stdout,
 * without a database, Temporal or a listening server: Nest's preview mode builds the module
 * graph without running any provider. `npm run lint` checks it with Redocly.
 *   node dist/apps/gateway/openapi-document.js [file]
 */
async function main(): Promise<void> {
  // Placeholders for the settings the gateway requires; preview mode connects to nothing.
  const config = loadServiceSettings({ MONGO_URL: 'mongodb://127.0.0.1:27017', ENCRYPTION_KEY: '0'.repeat(64), ...process.env });
  const app = await NestFactory.create(GatewayModule.forRoot(config), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  const document = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  if (process.argv[2]) writeFileSync(process.argv[2], document);
  else process.stdout.write(document);
  await app.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
