import { MockActivityEnvironment } from '@temporalio/testing';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { BlobStore, StoredBlob } from '../tarballs';
import { PipelineActivities } from './pipeline.activities';
import type { PipelineSettings } from './pipeline-settings';

/** A blob whose reader gets a first chunk and then nothing more: an inspection that takes its time. */
class StallingBlobs extends BlobStore {
  source?: Readable;
  put(): Promise<StoredBlob> {
    throw new Error('not used');
  }
  open(): Readable {
    const first = gzipSync(Buffer.alloc(512 * 40)).subarray(0, 20); // a gzip header, then the stall
    this.source = new Readable({ read() {} });
    this.source.push(first);
    return this.source;
  }
  remove(): Promise<void> {
    return Promise.resolve();
  }
  sweep(): Promise<number> {
    return Promise.resolve(0);
  }
}

/** Failure window 2 (docs/reliability.md#failure-windows-issue-16): the inspect activity heartbeats while it reads and stops when canceled. */
describe('PipelineActivities.inspectTarball', () => {
  it('heartbeats during a slow inspection and stops reading when the activity is canceled', async () => {
    const blobs = new StallingBlobs();
    const settings = { tar: { maxEntries: 100, maxBytes: 1 << 20 } } as unknown as PipelineSettings;
    const none = undefined as never;
    const activities = new PipelineActivities(none, none, blobs, none, none, none, none, none, none, settings);
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 });
    let heartbeats = 0;
    env.on('heartbeat', () => (heartbeats += 1));

    const inspecting = env
      .run(() => activities.inspectTarball({ blobId: 'dep_slow' }))
      .then(
        () => 'finished',
        (error: Error) => error,
      );
    for (let tick = 0; tick < 100 && heartbeats === 0; tick += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(`${heartbeats > 0 ? 'some' : 'no'} heartbeat during a 10 s inspection`).toBe('some heartbeat during a 10 s inspection');

    env.cancel();
    const outcome = await Promise.race([
      inspecting,
      new Promise((resolve) => setTimeout(() => resolve('still reading 5 s after the cancel'), 5_000)),
    ]);
    expect(outcome).toBeInstanceOf(Error); // the cancellation, not a tar code
    expect((outcome as Error).name).toBe('CancelledFailure');
    expect(blobs.source?.destroyed).toBe(true);
  }, 30_000);
});
