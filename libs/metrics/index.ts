export * from './registry';
export * from './recorders';
export * from './metrics-server';
export * from './http-metrics';
export * from './metrics.module';
