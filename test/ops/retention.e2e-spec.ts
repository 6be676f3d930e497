import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RetentionService } from '../../libs/pipeline';
import { Harness } from '../support/harness';

const DAY = 86_400_000;

/**
 * Data that only grows (docs/reliability.md#retention): the worker's retention sweep removes raw payloads past
 * PAYLOAD_RETENTION (sparing running deployments'), status entries past STATUS_RETENTION and
 * blobs their ended deployments left behind,
 * with indexed queries. Ages are set by writing the documents with old dates; the sweep runs
 * against the real MongoDB-wire server (which has no TTL monitor, hence a sweep).
 */
describe('retention', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({
      gateway: false,
      env: { PAYLOAD_RETENTION: '30d', STATUS_RETENTION: '180d', RETENTION_SWEEP_INTERVAL: '24h' },
    });
  });
  afterAll(() => harness?.stop());

  const ago = (days: number) => new Date(Date.now() - days * DAY);
  const payload = (id: string, deployment: string, days: number) => ({
    _id: id,
    user: 'alice',
    provider: 'github',
    deployment,
    uuid: 'u',
    headers: {},
    body: '{}',
    receivedAt: ago(days),
  });
  const deployment = (id: string, state: string | undefined, days: number) => ({
    _id: id,
    workflowId: `wf-${id}`,
    user: 'alice',
    repository: 'octo-org/hello',
    commit: id,
    provider: 'github',
    uuid: 'u',
    createdAt: ago(days),
    ...(state && { state }),
  });
  const entry = (id: string, days: number) => ({
    _id: id,
    uuid: 'u',
    user: 'alice',
    app_name: 'hello',
    deployment: 'dep_x',
    status: 'ok',
    step: 'done',
    provider: 'github',
    commit: 'o/r/c',
    ts: ago(days),
    cursor: `c-${id}`,
  });

  it('removes expired payloads, status entries and leftover blobs, keeps recent ones and what running deployments need', async () => {
    const db = harness.db;
    await db
      .collection('deployments')
      .insertMany([
        deployment('dep_failed', 'failed', 40),
        deployment('dep_running', 'running', 40),
        deployment('dep_waiting', 'waiting_for_ci', 40),
        deployment('dep_old_release', undefined, 400),
        deployment('dep_recent', 'succeeded', 1),
      ] as never[]);
    await db
      .collection('payloads')
      .insertMany([
        payload('p-failed', 'dep_failed', 40),
        payload('p-running', 'dep_running', 40),
        payload('p-waiting', 'dep_waiting', 40),
        payload('p-old-release', 'dep_old_release', 400),
        payload('p-recent', 'dep_recent', 1),
        payload('p-29d', 'dep_failed', 29),
      ] as never[]);
    await db
      .collection('status_entries')
      .insertMany([entry('s-200d', 200), entry('s-181d', 181), entry('s-179d', 179), entry('s-1d', 1)] as never[]);

    // Blobs (the directory store): an ended deployment's, a running one's, an interrupted write, a fresh one.
    const dir = harness.config.blobs.dir;
    await mkdir(dir, { recursive: true });
    const blob = async (name: string, hours: number) => {
      await writeFile(join(dir, name), 'tarball');
      const at = new Date(Date.now() - hours * 3_600_000);
      await utimes(join(dir, name), at, at);
    };
    await blob('dep_failed.tar.gz', 2);
    await blob('dep_running.tar.gz', 2);
    await blob('.dep_gone.1a2b3c4d.part', 2);
    await blob('dep_recent.tar.gz', 0);

    expect(await harness.worker!.get(RetentionService).sweep()).toEqual({ payloads: 2, statusEntries: 2, blobs: 1 });
    expect((await readdir(dir)).sort()).toEqual(['dep_recent.tar.gz', 'dep_running.tar.gz']);

    const ids = async (collection: string) =>
      (
        await db
          .collection(collection)
          .find({}, { projection: { _id: 1 } })
          .toArray()
      )
        .map((d) => String(d._id))
        .sort();
    expect(await ids('payloads')).toEqual(['p-29d', 'p-recent', 'p-running', 'p-waiting']);
    expect(await ids('status_entries')).toEqual(['s-179d', 's-1d']);
    expect(await db.collection('deployments').countDocuments()).toBe(5); // records are the history: kept

    // The sweeps' queries are indexed.
    const keys = async (collection: string) => (await db.collection(collection).indexes()).map((index) => JSON.stringify(index.key));
    expect(await keys('payloads')).toContain('{"receivedAt":1}');
    expect(await keys('status_entries')).toContain('{"ts":1}');
  });
});
