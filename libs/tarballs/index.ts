export * from './blob-store';
export * from './inspect';
export * from './safety';
export * from './gridfs-blob-store';
export * from './tarballs.module';
