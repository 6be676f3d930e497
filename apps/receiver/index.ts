export { createReceiverApp } from './create-receiver-app';
export { loadReceiverSettings, RECEIVER_OPTIONS } from './receiver-options';
export type { ReceiverHooks, ReceiverOptions, ReceiverSettings } from './receiver-options';
export { ReceiverModule } from './receiver.module';
export { DeploymentProcessor, INTERRUPTED } from './deployment-processor.service';
export { PackageStore } from './package-store';
export type { StoredPackage, StoredRecord, Transition } from './package-store';
export { RELEASES_DIR } from './releases';
