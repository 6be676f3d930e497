import { Logger } from '@nestjs/common';
import { ConfigError } from '../../libs/config/settings';
import { canonicalAddress } from '../../libs/targets/addresses';
import { createReceiverApp } from './create-receiver-app';
import { loadReceiverSettings } from './receiver-options';

/** Loopback only: a listener there is reachable from this machine, not from the network. */
const isLoopbackHost = (host: string) => {
  const address = canonicalAddress(host.replace(/^\[(.*)\]$/, '$1'));
  return host === 'localhost' || /^127\./.test(address) || address === '0:0:0:0:0:0:0:1';
};

/** The reference receiver as a process: RECEIVER_* settings, fails fast naming a bad one. */
async function main(): Promise<void> {
  const { host, port, options } = loadReceiverSettings();
  // Anyone who reaches it could deploy, UNDEPLOY any app by name, or read statuses.
  if (!isLoopbackHost(host) && !(options.username && options.password)) {
    throw new ConfigError(
      'RECEIVER_HOST',
      `the receiver would listen on ${host}, beyond this machine, without credentials; set RECEIVER_USERNAME and RECEIVER_PASSWORD (and the same as the worker's DEFAULT_TARGET_USERNAME / DEFAULT_TARGET_PASSWORD), or listen on 127.0.0.1`,
    );
  }
  const app = await createReceiverApp(options);
  app.enableShutdownHooks();
  await app.listen(port, host);
  Logger.log(
    `listening on ${await app.getUrl()}, deploying into ${options.deployDir}, state in ${options.stateDir}${options.username ? ', Basic auth required' : ''}`,
    'Receiver',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`receiver failed to start: ${err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  process.exit(1);
});
