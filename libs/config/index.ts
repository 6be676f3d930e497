export * from './settings';
export * from './service-settings';
export * from './outbound-rules';
