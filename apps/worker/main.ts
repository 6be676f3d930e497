import 'reflect-metadata';
import { ConfigError, loadAppConfig } from '../../libs/config';
import { createWorkerApp } from './create-worker';
import { installMemoryProbe } from '../../libs/stack/memory-probe';

installMemoryProbe(); // dev-only: needs --expose-gc and MEMORY_PROBE_FILE (the soak suite)

createWorkerApp(loadAppConfig()).catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
