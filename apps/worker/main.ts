import 'reflect-metadata';
import { ConfigError, loadServiceSettings } from '../../libs/config';
import { IndexCreationError } from '../../libs/persistence';
import { createWorkerApp } from './create-worker';

createWorkerApp(loadServiceSettings()).catch((error) => {
  console.error(error instanceof ConfigError || error instanceof IndexCreationError ? error.message : error);
  process.exit(1);
});
