import { Collection, Db, GridFSBucket, ObjectId } from 'mongodb';
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
  private readonly files: Collection<{ _id: ObjectId }>;
  private readonly chunks: Collection<{ _id: ObjectId; files_id: ObjectId; n: number }>;

  constructor(db: Db, bucketName = 'tarballs') {
    super();
    this.bucket = new GridFSBucket(db, { bucketName, chunkSizeBytes: 1024 * 1024 });
    this.files = db.collection(`${bucketName}.files`);
    this.chunks = db.collection(`${bucketName}.chunks`);
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

  /**
   * Complete files by their upload date, and the chunks of uploads a crash cut short: those have
   * no file document (GridFS writes it last), so they are found by their chunks, none of which
   * was written since `before` (a chunk's ObjectId carries the time it was written). Like the
   * directory store's partial writes, such leftovers are not counted as blobs.
   */
  async sweep(before: Date, keep: (id: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const file of await this.bucket.find({ uploadDate: { $lt: before } }).toArray()) {
      if (await keep(file.filename)) continue;
      await this.bucket.delete(file._id).catch(() => undefined);
      removed += 1;
    }
    await this.sweepCutUploads(ObjectId.createFromTime(Math.floor(before.getTime() / 1000)));
    return removed;
  }

  private async sweepCutUploads(writtenBefore: ObjectId): Promise<void> {
    // Each upload's first chunk (n 0) stands for it: one document per file, not one per MiB.
    const old = await this.chunks.distinct('files_id', { n: 0, _id: { $lt: writtenBefore } });
    if (!old.length) return;
    const complete = await this.files.find({ _id: { $in: old } }, { projection: { _id: 1 } }).toArray();
    const stillWriting = await this.chunks.distinct('files_id', { files_id: { $in: old }, _id: { $gte: writtenBefore } });
    const skip = new Set([...complete.map((file) => file._id), ...stillWriting].map((id) => id.toHexString()));
    const cut = old.filter((id) => !skip.has(id.toHexString()));
    if (cut.length) await this.chunks.deleteMany({ files_id: { $in: cut } });
  }

  async remove(id: string): Promise<void> {
    checkId(id);
    for (const file of await this.bucket.find({ filename: id }).toArray()) await this.bucket.delete(file._id).catch(() => undefined);
  }
}

function checkId(id: string): void {
  if (!BLOB_ID.test(id)) throw new Error(`invalid blob id ${JSON.stringify(id)}`);
}
