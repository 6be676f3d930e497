export * from './mongo.module';
export * from './errors';
export * from './indexes';
