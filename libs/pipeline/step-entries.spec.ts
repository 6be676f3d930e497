import type { StatusWrite } from '../../workflows/types';
import { withStepEntries } from './step-entries';

const write = (seq: number, status: StatusWrite['status'], message: string, app_name = 'hello'): StatusWrite => ({
  seq,
  deploymentId: 'dep-1',
  user: 'alice',
  uuid: 'uuid-1',
  app_name,
  provider: 'github',
  commit: 'alice/hello/abc',
  step: 'fetch',
  status,
  message,
});

describe('withStepEntries', () => {
  const written: StatusWrite[] = [];
  const told: unknown[] = [];
  const writers = {
    recordStatus: async (entry: StatusWrite) => void written.push(entry),
    signalLine: async (event: unknown) => void told.push(event),
  };
  beforeEach(() => {
    written.splice(0);
    told.splice(0);
  });

  it('writes the pending entry, then the ok entry filled from the answer, then tells the line', async () => {
    const fetch = withStepEntries(async (_input: unknown) => ({ bytes: 10, sha256: 'ab', app: 'shop' }), writers);
    const lineEvent = { user: 'alice', app: 'hello', event: { type: 'ready' as const, deploymentId: 'dep-1' } };
    const answer = await fetch({
      statusEntries: {
        pending: write(4, 'pending', 'Downloading.'),
        ok: write(5, 'ok', '{bytes} bytes, sha256 {sha256}.', '{app}'),
        lineEvent,
      },
    });
    expect(answer).toEqual({ bytes: 10, sha256: 'ab', app: 'shop' });
    expect(written.map((entry) => [entry.seq, entry.status, entry.message, entry.app_name])).toEqual([
      [4, 'pending', 'Downloading.', 'hello'],
      [5, 'ok', '10 bytes, sha256 ab.', 'shop'],
    ]);
    expect(told).toEqual([lineEvent]);
  });

  it('writes no ok entry and tells nothing when the work fails; without entries it only runs the activity', async () => {
    const failing = withStepEntries(async (_input: unknown) => Promise.reject(new Error('GitHub answered 502')), writers);
    await expect(failing({ statusEntries: { pending: write(4, 'pending', 'Downloading.'), ok: write(5, 'ok', 'done') } })).rejects.toThrow(
      '502',
    );
    expect(written.map((entry) => entry.seq)).toEqual([4]);
    const plain = withStepEntries(async (input: unknown) => input, writers);
    expect(await plain({ blobId: 'b' })).toEqual({ blobId: 'b' });
    expect([written.length, told.length]).toEqual([1, 0]);
  });
});
