export * from './keyed-digests';
export * from './secret-box';
export * from './secrets.module';
