import { Db, GridFSBucket } from 'mongodb';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BLOB_ID, BlobStore, meter, StoredBlob } from './blob-store';

/**
 * Blobs in MongoDB GridFS, so fetch, inspect and upload may run on different worker hosts.
 * A blob is a GridFS file named by its id; readers take the newest complete revision, and
 * older revisions (an interrupted or repeated fetch) are removed once a new one is complete.
 */
export class GridFsBlobStore extends BlobStore {
  private readonly bucket: GridFSBucket;

  constructor(db: Db, bucketName = 'tarballs') {
    super();
    this.bucket = new GridFSBucket(db, { bucketName, chunkSizeBytes: 1024 * 1024 });
  }

  async put(id: string, source: Readable, onProgress?: (bytes: number) => void): Promise<StoredBlob> {
    checkId(id);
    const metered = meter(onProgress);
    const upload = this.bucket.openUploadStream(id);
    try {
      await pipeline(source, metered.stream, upload);
    } catch (error) {
      await upload.abort().catch(() => undefined);
      throw error;
    }
    const older = await this.bucket.find({ filename: id, _id: { $ne: upload.id } }).toArray();
    for (const file of older) await this.bucket.delete(file._id).catch(() => undefined);
    return metered.result(id);
  }

  open(id: string): Readable {
    checkId(id);
    return this.bucket.openDownloadStreamByName(id);
  }

  /** Complete files only: chunks of an upload cut by a crash have no file document to find them by. */
  async sweep(before: Date, keep: (id: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const file of await this.bucket.find({ uploadDate: { $lt: before } }).toArray()) {
      if (await keep(file.filename)) continue;
      await this.bucket.delete(file._id).catch(() => undefined);
      removed += 1;
    }
    return removed;
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    for (const file of await this.bucket.find({ filename: id }).toArray()) await this.bucket.delete(file._id).catch(() => undefined);
  }
}

function checkId(id: string): void {
  if (!BLOB_ID.test(id)) throw new Error(`invalid blob id ${JSON.stringify(id)}`);
}
