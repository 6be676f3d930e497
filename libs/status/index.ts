export * from './status-entry';
export * from './status.module';
export * from './status.repository';
export * from './status.service';
