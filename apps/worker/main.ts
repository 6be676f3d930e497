import 'reflect-metadata';
import { ConfigError, loadAppConfig } from '../../libs/config';
import { createWorkerApp } from './create-worker';

createWorkerApp(loadAppConfig()).catch((error) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
