import { createHmac } from 'node:crypto';
import { AppConfigCache } from '../../libs/apps';
import { Harness } from '../support/harness';
import { githubHeaders, githubPush, travisBuild } from '../support/payloads';

const SECRET = 'guarded-webhook-secret';

/**
 * Security review finding 8 (docs/reliability.md#security-findings-issue-18-authentication-and-webhooks), against the real stack with TRAVIS_PUBLIC_KEY unset: an app that guards
 * its pushes with a webhook secret (or sets travisSignature: required) takes no unsigned Travis
 * notification, and no spelling of its repository (case, a trailing `.git` or `.`) slips past
 * the app or its secret.
 */
describe('webhook signatures: unsigned Travis notifications and repository spellings', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
    const put = (name: string, body: object) => harness.request('PUT', `/1/apps/admin/${name}`, { body });
    expect((await put('guarded', { repository: 'octo-org/guarded', webhookSecret: SECRET, ci: 'travis' })).status).toBe(200);
    expect((await put('strict', { repository: 'octo-org/strict', travisSignature: 'required' })).json).toMatchObject({
      travisSignature: 'required',
      hasWebhookSecret: false,
    });
    expect((await put('open', { repository: 'octo-org/open' })).status).toBe(200);
  });
  afterAll(() => harness.stop());

  const travis = (options: { owner?: string; repo: string; sha: string; signature?: string }) => {
    const payload = JSON.stringify(travisBuild({ owner: options.owner, repo: options.repo, sha: options.sha, statusMessage: 'Passed' }));
    return harness.request('POST', '/1/deploy', {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'travis-repo-slug': `${options.owner ?? 'octo-org'}/${options.repo}`,
        ...(options.signature ? { signature: options.signature } : {}),
      },
      body: new URLSearchParams({ payload }).toString(),
    });
  };
  const push = (owner: string, repo: string, sha: string, secret?: string) => {
    const body = JSON.stringify(githubPush({ owner, repo, sha }));
    const signature = secret && `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    return harness.request('POST', '/1/deploy', {
      headers: { ...githubHeaders(), 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
      body,
    });
  };
  const refused = (answer: Awaited<ReturnType<Harness['request']>>, message: RegExp) =>
    expect([answer.status, answer.json]).toEqual([
      401,
      { error: 'deploy:auth:bad_signature', message: expect.stringMatching(message), uuid: answer.headers.get('x-api-uuid') },
    ]);
  const travisPayloads = () => harness.db.collection('payloads').countDocuments({ provider: 'travis' });

  it('refuses a forged unsigned "Passed" for a gated commit of an app with a webhook secret, in every spelling of its repository', async () => {
    const sha = 'a1'.repeat(20);
    const gated = await push('octo-org', 'guarded', sha, SECRET);
    expect([gated.status, gated.json.status]).toEqual([202, 'waiting_for_ci']);
    for (const [owner, repo] of [
      ['octo-org', 'guarded'],
      ['Octo-Org', 'Guarded'],
      ['octo-org', 'guarded.git'],
      ['OCTO-ORG', 'Guarded.GIT'],
      ['octo-org', 'guarded.'],
      ['octo-org', 'guarded.git.'],
    ]) {
      refused(await travis({ owner, repo, sha }), /unsigned.*guarded has a webhook secret.*TRAVIS_PUBLIC_KEY is not set/);
    }
    // A Signature header changes nothing: without Travis' public key it cannot be verified.
    refused(
      await travis({ repo: 'guarded', sha, signature: Buffer.from('forged').toString('base64') }),
      /cannot be verified.*TRAVIS_PUBLIC_KEY is not set/,
    );
    expect(await travisPayloads()).toBe(0);
  });

  it('refuses unsigned Travis notifications for an app set to travisSignature: required, and still takes them where nothing asks for signatures', async () => {
    refused(await travis({ repo: 'Strict.git', sha: 'b2'.repeat(20) }), /unsigned.*strict sets travisSignature: required/);
    expect(await travisPayloads()).toBe(0);
    const open = await travis({ repo: 'open', sha: 'c3'.repeat(20) });
    expect([open.status, open.json.status]).toEqual([202, 'waiting_for_ci']);
  });

  it('asks for the webhook secret of a push whatever the spelling of the repository', async () => {
    for (const [owner, repo] of [
      ['Octo-Org', 'GUARDED'],
      ['octo-org', 'guarded.git'],
      ['octo-org', 'Guarded.'],
    ]) {
      refused(await push(owner, repo, 'd4'.repeat(20)), /X-Hub-Signature-256/);
    }
    const signed = await push('Octo-Org', 'Guarded.git', 'd4'.repeat(20), SECRET);
    expect([signed.status, signed.json.status]).toEqual([202, 'waiting_for_ci']);
  });

  it('finds apps stored before canonical names by every spelling; another app of a guarded repository does not open it', async () => {
    const now = new Date();
    await harness.db.collection('apps').insertOne({
      _id: 'admin/legacy',
      user: 'admin',
      name: 'legacy',
      repository: 'Octo-Org/Legacy.git',
      repositoryKey: 'admin/octo-org/legacy.git',
      travisSignature: 'required',
      retain: false,
      ci: 'auto',
      createdAt: now,
      updatedAt: now,
      revision: 1,
    } as never);
    // Written behind the API's back: drop the intake's in-memory copy now, as its change stream would shortly.
    harness.gateway!.get(AppConfigCache).forget('admin');
    refused(await travis({ repo: 'legacy', sha: 'e5'.repeat(20) }), /legacy sets travisSignature: required/);
    // Several apps may deploy one repository (docs/contract.md#several-apps-per-repository): a second one without a secret leaves the first one's secret in force.
    expect((await harness.request('PUT', '/1/apps/admin/copy', { body: { repository: 'OCTO-ORG/guarded.git' } })).status).toBe(200);
    refused(await push('octo-org', 'guarded', 'f6'.repeat(20)), /X-Hub-Signature-256/);
  });
});
