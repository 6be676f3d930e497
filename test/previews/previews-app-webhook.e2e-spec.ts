import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { PipelineFixture, waitFor } from '../pipeline/pipeline-fixture';

const APP_ID = 4242;
const SECRET = 'app-webhook-secret';
const INSTALLATION = 77;

/**
 * A pull request's events through the GitHub App's webhook (docs/contract.md#preview-apps,
 * docs/contract.md#the-github-app): routed to the linking user's app as /1/deploy would take them.
 */
describe('preview apps through the GitHub App webhook', () => {
  let f: PipelineFixture;
  const keys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });

  beforeAll(async () => {
    f = await PipelineFixture.start({
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: keys.privateKey.replace(/\n/g, '\\n'),
      GITHUB_APP_WEBHOOK_SECRET: SECRET,
    });
    f.github.ci.app = { id: APP_ID, slug: 'deploy-webhooks', publicKey: keys.publicKey };
    f.github.ci.installations.set(INSTALLATION, {
      id: INSTALLATION,
      account: { login: 'octo-org', type: 'Organization' },
      repositories: [],
    });
    f.github.ci.orgAdmins.set('octo-org', new Set(['admin-gh']));
    f.github.tokens.set('ghp_admin', 'admin-gh');
    expect((await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_admin' } })).status).toBe(200);
    expect((await f.harness.request('POST', '/1/auth/github/installations', { body: { installationId: INSTALLATION } })).status).toBe(200);
  }, 180_000);
  afterAll(() => f.stop());

  const appWebhook = (payload: object) => {
    const body = JSON.stringify(payload);
    return f.harness.request('POST', '/1/github/webhook', {
      auth: null,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': randomBytes(8).toString('hex'),
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
  };

  it('opened makes the preview live, closed tears it down', async () => {
    const repo = `app-${randomBytes(3).toString('hex')}`;
    f.github.ci.installations.get(INSTALLATION)!.repositories.push(`octo-org/${repo}`);
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, {
      body: { repository: `octo-org/${repo}`, previews: { enabled: true } },
    });
    expect(put.status).toBe(200);
    const opened = await f.github.openPullRequest(`octo-org/${repo}`);
    expect(opened.installation).toEqual({ id: INSTALLATION });
    const answer = await appWebhook(opened);
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ status: 'queued', previews: [{ preview: `${repo}-pr-1`, status: 'queued' }] });
    const listed = async () => ((await f.harness.request('GET', `/1/apps/admin/${repo}/previews`)).json as Array<{ state: string }>)[0];
    await waitFor(async () => (await listed())?.state === 'live', 90_000);
    expect((await appWebhook(f.github.closePullRequest(`octo-org/${repo}`, 1))).json).toMatchObject({ status: 'tearing_down' });
    await waitFor(async () => (await listed())?.state === 'removed', 90_000);
    expect((await f.harness.request('GET', `/1/apps/admin/${repo}-pr-1`)).status).toBe(404);
  }, 240_000);
});
