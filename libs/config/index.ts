export * from './settings';
export * from './app-config';
