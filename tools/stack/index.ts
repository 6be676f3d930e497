export * from './processes';
export * from './servers';
export * from './tools';
export * from './apps';
