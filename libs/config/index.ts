export * from './settings';
export * from './app-config';
export * from './outbound-rules';
