export * from './logger';
export * from './temporal-log';
