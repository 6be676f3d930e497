import { createHmac, randomBytes } from 'node:crypto';
import { Harness } from '../support/harness';
import { githubHeaders, githubPush } from '../support/payloads';

/**
 * The intake reads app configuration from memory (AppConfigCache), yet a push right
 * after a write through the API always uses the written configuration.
 */
describe('app configuration served from memory to the intake', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
  });
  afterAll(() => harness.stop());

  const push = (repo: string, options: { ref?: string; signedWith?: string } = {}) => {
    const body = JSON.stringify(githubPush({ repo, ref: options.ref, sha: randomBytes(20).toString('hex') }));
    const signature = options.signedWith && {
      'x-hub-signature-256': 'sha256=' + createHmac('sha256', options.signedWith).update(body).digest('hex'),
    };
    return harness.request('POST', '/1/deploy', {
      headers: { ...githubHeaders(), 'content-type': 'application/json', ...signature },
      body,
    });
  };

  it('uses a PUT at once: the new deploy branch, then a new webhook secret', async () => {
    const put = (body: object) => harness.request('PUT', '/1/apps/admin/cached', { body: { repository: 'octo-org/cached', ...body } });
    expect((await put({ branch: 'release' })).status).toBe(200);
    const before = await push('cached', { ref: 'refs/heads/main' });
    expect([before.status, before.json.reason]).toEqual([200, expect.stringMatching(/deploy branch is release/)]); // held in memory now

    expect((await put({ branch: 'main' })).status).toBe(200);
    const after = await push('cached', { ref: 'refs/heads/main' });
    expect([after.status, after.json.status]).toEqual([202, 'queued']); // not the cached `release`

    // A secret set through the API guards the very next push: an unsigned one is refused.
    expect((await put({ branch: 'main', webhookSecret: 'fresh secret' })).status).toBe(200);
    expect((await push('cached', { ref: 'refs/heads/main' })).json).toMatchObject({ error: 'deploy:auth:bad_signature' });
    expect((await push('cached', { ref: 'refs/heads/main', signedWith: 'fresh secret' })).status).toBe(202);
  });

  it('a repository without an app is read once per user and still deploys on the default branch', async () => {
    const first = await push('no-app-1');
    const second = await push('no-app-2');
    expect([first.status, second.status]).toEqual([202, 202]);
  });
});
