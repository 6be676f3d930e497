export * from './mongo.module';
export * from './errors';
