export * from './quotas';
