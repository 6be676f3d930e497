import { DynamicModule, Module } from '@nestjs/common';
import { Db, MONGO_DB } from '../persistence';
import { BlobStore, DirectoryBlobStore } from './blob-store';
import { GridFsBlobStore } from './gridfs-blob-store';

/** Where fetched tarballs wait for upload (BLOB_STORE): a directory, or GridFS for workers on several hosts. */
export interface BlobSettings {
  store: 'dir' | 'gridfs';
  dir: string;
}

/** The worker's blob store. Needs the global MongoModule (GridFS). */
@Module({})
export class TarballsModule {
  static forRoot(blobs: BlobSettings): DynamicModule {
    return {
      module: TarballsModule,
      providers: [
        {
          provide: BlobStore,
          useFactory: (db: Db) => (blobs.store === 'gridfs' ? new GridFsBlobStore(db) : new DirectoryBlobStore(blobs.dir)),
          inject: [MONGO_DB],
        },
      ],
      exports: [BlobStore],
    };
  }
}
