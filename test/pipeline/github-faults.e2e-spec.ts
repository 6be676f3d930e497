import { readdir } from 'node:fs/promises';
import { ArchiveEntry, buildTarGz } from '../../tools/github-standin/github-standin';
import { PipelineFixture } from './pipeline-fixture';
import { gate } from '../support/gate';

/**
 * The fetch step against a GitHub that misbehaves (failure window 1, docs/reliability.md#failure-windows-issue-16, and the download code):
 * slow to send a tarball's first byte, canceled while waiting, a tarball that cannot be had
 * (404), a connection dropped mid-stream. The GitHub-shaped server does the misbehaving.
 */
describe('fetching the tarball from a misbehaving GitHub', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
  });
  afterEach(() => {
    f.github.tarballGate = undefined;
    f.github.cutTarballs = 0;
    f.github.failContents = 0;
  });
  afterAll(() => f?.stop());

  const downloadsOf = (repo: string) => f.github.downloads.filter((d) => d.repository === `octo-org/${repo}`);
  /** Blobs a deployment left (a succeeded one's tarball stays, kept for its release's rollback). */
  const blobsLeft = async (deployment: string) =>
    (await readdir(f.harness.config.blobs.dir).catch(() => [] as string[])).filter((name) => name.startsWith(deployment)).sort();

  it('waits for a first byte slower than the heartbeat timeout without retrying the download', async () => {
    const { repo, sha } = await f.commit();
    // 13 s: past the fetch's 10 s heartbeat timeout, within its 30 min start-to-close.
    f.github.tarballGate = new Promise((resolve) => setTimeout(resolve, 13_000));
    const pushed = await f.push(repo, sha);
    expect(pushed.status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'succeeded' });
    // main: the activity heartbeated only as bytes came, timed out and downloaded again.
    expect(`${downloadsOf(repo).length} download(s)`).toBe('1 download(s)');
  }, 60_000);

  it('drops a download still waiting for its first byte when the deployment is canceled, and leaves no blob', async () => {
    const { repo, sha } = await f.commit();
    const { held, open: release } = gate();
    f.github.tarballGate = held;
    const pushed = await f.push(repo, sha);
    await waitUntil(() => downloadsOf(repo).length === 1, 'the download never reached GitHub');
    expect((await f.harness.request('POST', `/1/deployments/${pushed.json.id}/cancel`)).status).toBe(202);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:canceled' } });
    // main: nothing heartbeated while waiting, so the cancellation never reached the activity.
    await waitUntil(
      () => downloadsOf(repo)[0].finished !== undefined,
      'the worker kept the GitHub download open after the deployment was canceled',
    );
    expect(downloadsOf(repo)[0].finished).toBe(false);
    release();
    expect(await blobsLeft(pushed.json.id)).toEqual([]);
  }, 60_000);

  it('fails with deploy:github:download_tarball when GitHub answers 404 for the tarball', async () => {
    const { repo, sha } = await f.commit();
    delete f.github.repositories.get(`octo-org/${repo}`)!.tarballs[sha]; // package.json is readable, the tarball is not
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({
      state: 'failed',
      error: { code: 'deploy:github:download_tarball', message: expect.stringContaining('404') },
    });
    const steps = await f.steps(pushed.json.id);
    expect(steps.filter((s) => s.status === 'error').map((s) => [s.step, s.error?.code])).toEqual([
      ['fetch', 'deploy:github:download_tarball'],
      ['done', 'deploy:github:download_tarball'],
    ]);
    expect(await blobsLeft(pushed.json.id)).toEqual([]);
  });

  it('fails with deploy:github:read_failed when GitHub keeps failing to answer for .travis.yml', async () => {
    const { repo, sha } = await f.commit();
    f.github.failContents = 100;
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({
      state: 'failed',
      error: { code: 'deploy:github:read_failed', message: expect.stringContaining('.travis.yml') },
    });
    expect(downloadsOf(repo)).toEqual([]); // never got as far as the tarball
  }, 60_000);

  it.each([
    ['deploy:tar:device_file', [{ name: 'app/dev-null', type: 'character-device' }]],
    ['deploy:tar:too_many_entries', Array.from({ length: 1_001 }, (_, i) => ({ name: `app/f${i}.txt`, content: 'x' }))], // TAR_MAX_ENTRIES is 1000 here
  ] as Array<[string, ArchiveEntry[]]>)('fails with %s for a tarball the inspection refuses, uploading nothing', async (code, extra) => {
    const { repo, sha } = await f.commit({ tarball: await buildTarGz([{ name: 'app/package.json', content: '{"name":"x"}' }, ...extra]) });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code } });
    expect((await f.steps(pushed.json.id)).map((s) => s.step)).not.toContain('upload');
    expect(await blobsLeft(pushed.json.id)).toEqual([]);
  });

  it('retries a download cut mid-stream, then fails with deploy:github:download_tarball when every attempt is cut', async () => {
    const once = await f.commit();
    f.github.cutTarballs = 1;
    const recovered = await f.push(once.repo, once.sha);
    expect(await f.outcome(recovered.json.workflowId)).toMatchObject({ state: 'succeeded' });
    expect(downloadsOf(once.repo).map((d) => d.finished)).toEqual([false, true]);

    const { repo, sha } = await f.commit();
    f.github.cutTarballs = 100;
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:github:download_tarball' } });
    expect(downloadsOf(repo).map((d) => d.finished)).toEqual([false, false, false, false, false]); // the fetch's 5 attempts
    expect(await blobsLeft(pushed.json.id)).toEqual([]);
  }, 60_000);
});

/** Polls a condition, bounded by attempts (about 20 s); the message says what never happened. */
async function waitUntil(condition: () => boolean, message: string): Promise<void> {
  for (let attempt = 0; attempt < 2_000; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(message);
}
