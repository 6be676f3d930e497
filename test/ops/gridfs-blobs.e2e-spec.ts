import { Binary, ObjectId } from 'mongodb';
import { Readable } from 'node:stream';
import { GridFsBlobStore } from '../../libs/tarballs/gridfs-blob-store';
import { Harness } from '../support/harness';

const HOUR = 3_600_000;

/**
 * The GridFS blob store (`BLOB_STORE=gridfs`) against the real MongoDB-wire server: a blob's
 * newest complete revision is what readers get, and the retention sweep removes ended
 * deployments' files and the chunks of uploads a crash cut short, but never an upload still
 * being written or a file a live deployment needs.
 */
describe('GridFS blob store', () => {
  let harness: Harness;
  let store: GridFsBlobStore;
  beforeAll(async () => {
    harness = await Harness.start({ gateway: false, worker: false });
    store = new GridFsBlobStore(harness.db);
  });
  afterAll(() => harness?.stop());

  const read = async (id: string) => {
    const parts: Buffer[] = [];
    for await (const part of store.open(id)) parts.push(part as Buffer);
    return Buffer.concat(parts).toString();
  };
  const files = () => harness.db.collection('tarballs.files');
  const chunks = () => harness.db.collection('tarballs.chunks');
  const filesIds = async () => (await chunks().distinct('files_id')).map(String).sort();

  it('keeps only the newest revision of a blob, counts its bytes, and removes it whole', async () => {
    const progress: number[] = [];
    const stored = await store.put('dep_one', Readable.from([Buffer.from('first ')]), (bytes) => progress.push(bytes));
    expect(stored).toMatchObject({ id: 'dep_one', bytes: 6 });
    expect(progress.at(-1)).toBe(6);
    await store.put('dep_one', Readable.from([Buffer.from('second')]));
    expect(await read('dep_one')).toBe('second');
    expect(await files().countDocuments({ filename: 'dep_one' })).toBe(1);

    await store.remove('dep_one');
    expect(await files().countDocuments({ filename: 'dep_one' })).toBe(0);
    expect(await chunks().countDocuments()).toBe(0);
    expect(() => store.open('../etc/passwd')).toThrow('invalid blob id');
  });

  it("sweeps ended deployments' files and cut uploads' chunks, keeps live, recent and still-written ones", async () => {
    // An ObjectId made `hoursAgo` (its first four bytes are its time), unique like any other.
    const at = (hoursAgo: number) =>
      new ObjectId(
        Math.floor((Date.now() - hoursAgo * HOUR) / 1000)
          .toString(16)
          .padStart(8, '0') + new ObjectId().toHexString().slice(8),
      );
    const chunk = (filesId: ObjectId, n: number, hoursAgo: number) => ({
      _id: at(hoursAgo),
      files_id: filesId,
      n,
      data: new Binary(Buffer.from('x')),
    });

    for (const id of ['dep_ended', 'dep_live', 'dep_fresh']) await store.put(id, Readable.from([Buffer.from(id)]));
    await files().updateMany({ filename: { $in: ['dep_ended', 'dep_live'] } }, { $set: { uploadDate: new Date(Date.now() - 2 * HOUR) } });

    // Uploads with no file document: one cut two hours ago, one begun two hours ago and still
    // writing (its newest chunk is a minute old), one cut a minute ago.
    const cut = at(2.1);
    const writing = at(2.2);
    const justCut = at(0.02);
    await chunks().insertMany([
      chunk(cut, 0, 2.1),
      chunk(cut, 1, 2),
      chunk(writing, 0, 2.2),
      chunk(writing, 1, 0.02),
      chunk(justCut, 0, 0.02),
    ]);
    const complete = (await files().find().toArray()).map((file) => String(file._id));

    const asked: string[] = [];
    const removed = await store.sweep(new Date(Date.now() - HOUR), async (id) => {
      asked.push(id);
      return id === 'dep_live';
    });

    expect(removed).toBe(1);
    expect(asked.sort()).toEqual(['dep_ended', 'dep_live']);
    expect((await files().find().toArray()).map((file) => file.filename).sort()).toEqual(['dep_fresh', 'dep_live']);
    expect(await read('dep_live')).toBe('dep_live');
    const ended = complete.find((id) => !['dep_fresh', 'dep_live'].includes(id));
    expect(await filesIds()).toEqual([...complete.filter((id) => id !== ended), String(writing), String(justCut)].sort());
    expect(await chunks().countDocuments({ files_id: writing })).toBe(2);
  });
});
