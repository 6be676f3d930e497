import { Logger } from '@nestjs/common';
import { ConfigError } from '../../libs/config/settings';
import { createReceiverApp } from './create-receiver-app';
import { loadReceiverSettings } from './receiver-options';

/** The reference receiver as a process: RECEIVER_* settings, fails fast naming a bad one. */
async function main(): Promise<void> {
  const { host, port, options } = loadReceiverSettings();
  const app = await createReceiverApp(options);
  app.enableShutdownHooks();
  await app.listen(port, host);
  Logger.log(`listening on ${await app.getUrl()}, deploying into ${options.deployDir}, state in ${options.stateDir}`, 'Receiver');
}

main().catch((err: unknown) => {
  process.stderr.write(`receiver failed to start: ${err instanceof ConfigError ? err.message : (err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
