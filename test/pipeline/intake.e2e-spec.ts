import { execFile } from 'node:child_process';
import { createHmac, generateKeyPairSync, createSign } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Harness } from '../support/harness';
import { githubHeaders, githubPush, travisBuild } from '../support/payloads';
import { PipelineFixture } from './pipeline-fixture';

/** Webhook intake's answers for bad input (docs/contract.md#webhook-intake), against the real stack. */
describe('webhook intake errors', () => {
  const travisKeys = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { GATEWAY_BODY_LIMIT_BYTES: '65536', TRAVIS_PUBLIC_KEY: travisKeys.publicKey } });
  });
  afterAll(() => harness.stop());

  const expectError = (response: Awaited<ReturnType<Harness['request']>>, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.json).toEqual({ error: code, message: expect.stringMatching(/\w+ \w+/), uuid: response.headers.get('x-api-uuid') });
  };

  it('answers every intake error with its code and status', async () => {
    expectError(await harness.request('POST', '/1/deploy', { auth: null, body: githubPush() }), 401, 'deploy:auth:bad_creds');
    expectError(
      await harness.request('POST', '/', { auth: { username: 'admin', password: 'wrong' }, body: githubPush() }),
      401,
      'deploy:auth:bad_creds',
    );
    expectError(
      await harness.request('POST', '/1/deploy', { headers: { 'content-type': 'application/json' }, body: '' }),
      400,
      'deploy:no_payload',
    );
    expectError(
      await harness.request('POST', '/1/deploy', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'other=1' }),
      400,
      'deploy:no_payload',
    );
    expectError(await harness.request('POST', '/1/deploy', { body: { hello: 'world' } }), 400, 'deploy:provider:not_supported');
    expectError(
      await harness.request('POST', '/1/deploy', { headers: { 'content-type': 'application/json' }, body: '{"after":' }),
      400,
      'deploy:provider:not_supported',
    );
    expectError(
      await harness.request('POST', '/1/deploy', { headers: { 'content-type': 'text/plain' }, body: 'hi' }),
      400,
      'deploy:provider:not_supported',
    );
    expectError(
      await harness.request('POST', '/1/deploy', { headers: { 'x-github-event': 'push' }, body: { ...githubPush(), after: 'not-a-sha' } }),
      400,
      'deploy:provider:not_supported',
    );
    const huge = { ...githubPush(), padding: 'x'.repeat(70_000) };
    expectError(await harness.request('POST', '/1/deploy', { body: huge }), 413, 'deploy:payload:too_large');
    expect(await harness.db.collection('deployments').countDocuments()).toBe(0);
    expect(await harness.db.collection('payloads').countDocuments()).toBe(0);
  });

  it('reads a form-typed body that is itself JSON as JSON, keeping payload= forms and their errors', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const raw = await harness.request('POST', '/1/deploy', {
      headers: form,
      body: JSON.stringify(githubPush({ repo: 'form-json', sha: 'f0'.repeat(20) }), null, 2),
    });
    expect([raw.status, raw.json]).toEqual([202, expect.objectContaining({ status: 'queued', existing: false })]);
    const field = await harness.request('POST', '/1/deploy', {
      headers: { ...form, ...githubHeaders() },
      body: new URLSearchParams({ payload: JSON.stringify(githubPush({ ref: 'refs/heads/feature' })) }).toString(),
    });
    expect([field.status, field.json.status]).toEqual([200, 'ignored']);
    expectError(await harness.request('POST', '/1/deploy', { headers: form, body: '{"after":' }), 400, 'deploy:no_payload');
    expectError(
      await harness.request('POST', '/1/deploy', { headers: form, body: new URLSearchParams({ payload: '{"after":' }).toString() }),
      400,
      'deploy:provider:not_supported',
    );
    expectError(
      await harness.request('POST', '/1/deploy', { headers: form, body: '{"hello":"world"}' }),
      400,
      'deploy:provider:not_supported',
    );
  });

  it('checks X-Hub-Signature-256 when the app has a webhook secret', async () => {
    const put = await harness.request('PUT', '/1/apps/admin/signed', {
      body: { repository: 'octo-org/signed', webhookSecret: "It's a Secret to Everybody" },
    });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ hasWebhookSecret: true });
    expect(JSON.stringify(put.json)).not.toContain('Secret to Everybody');
    const body = JSON.stringify(githubPush({ repo: 'signed', ref: 'refs/heads/feature' }));
    const headers = { ...githubHeaders(), 'content-type': 'application/json' };
    expectError(await harness.request('POST', '/1/deploy', { headers, body }), 401, 'deploy:auth:bad_signature');
    expectError(
      await harness.request('POST', '/1/deploy', { headers: { ...headers, 'x-hub-signature-256': 'sha256=' + 'ab'.repeat(32) }, body }),
      401,
      'deploy:auth:bad_signature',
    );
    const signature = 'sha256=' + createHmac('sha256', "It's a Secret to Everybody").update(body).digest('hex');
    const good = await harness.request('POST', '/1/deploy', { headers: { ...headers, 'x-hub-signature-256': signature }, body });
    expect(good.status).toBe(200); // signed correctly; a feature branch is then ignored
    expect(good.json.status).toBe('ignored');
  });

  it('checks the Travis Signature when a Travis public key is configured', async () => {
    const payload = JSON.stringify(travisBuild({ sha: 'a'.repeat(40), statusMessage: 'Pending' }));
    const form = (signature?: string) => ({
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'travis-repo-slug': 'octo-org/hello-world',
        ...(signature ? { signature } : {}),
      },
      body: new URLSearchParams({ payload }).toString(),
    });
    expectError(await harness.request('POST', '/1/deploy', form()), 401, 'deploy:auth:bad_signature');
    expectError(
      await harness.request('POST', '/1/deploy', form(Buffer.from('forged').toString('base64'))),
      401,
      'deploy:auth:bad_signature',
    );
    const signature = createSign('RSA-SHA1').update(payload).sign(travisKeys.privateKey, 'base64');
    const good = await harness.request('POST', '/1/deploy', form(signature));
    expect(good.status).toBe(200);
    expect(good.json).toMatchObject({ status: 'ignored', reason: expect.stringMatching(/Pending/) });
  });

  it("answers 503 deploy:temporal:unavailable within GitHub's delivery timeout when Temporal is unreachable", async () => {
    const offline = await Harness.start({ worker: false, env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    try {
      const started = Date.now();
      const response = await offline.request('POST', '/1/deploy', { headers: githubHeaders(), body: githubPush() });
      expectError(response, 503, 'deploy:temporal:unavailable');
      expect(Date.now() - started).toBeLessThan(10_000); // a bound from GitHub's contract, not a speed target
      const health = await offline.request('GET', '/health', { auth: null });
      expect(health.status).toBe(503);
      expect(health.json.checks).toMatchObject({ mongo: 'ok', temporal: expect.stringMatching(/unreachable/) });
    } finally {
      await offline.stop();
    }
  });

  it('carries x-api-uuid and x-api-version on every answer, errors included', async () => {
    const health = await harness.request('GET', '/health', { auth: null });
    expect(health.json).toEqual({ status: 'ok', checks: { mongo: 'ok', temporal: 'ok' } });
    const missing = await harness.request('GET', '/nowhere');
    expectError(missing, 404, 'request:not_found');
    for (const response of [health, missing]) {
      expect(response.headers.get('x-api-uuid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('x-api-version')).toBe('1.0.0');
    }
  });
});

/** Nodejitsu's own documented example, `curl -X POST -u user:token -d @file …/1/deploy`, run with curl itself. */
describe("the seed's curl -d @file command", () => {
  let f: PipelineFixture;
  let dir: string;
  beforeAll(async () => {
    f = await PipelineFixture.start();
    dir = await mkdtemp(join(tmpdir(), 'curl-push-'));
  });
  afterAll(async () => {
    await f.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('deploys a GitHub push JSON file sent with curl -d (form-typed, newlines stripped) to succeeded', async () => {
    const token = (await f.harness.request('POST', '/1/users/admin/tokens', { body: { name: 'curl' } })).json.token as string;
    const { repo, sha } = await f.commit({ files: { 'from-curl.txt': 'sent by curl -d\n' } });
    const file = join(dir, 'push.json');
    await writeFile(file, JSON.stringify(githubPush({ repo, sha }), null, 2)); // as a user saves it: pretty-printed
    const { stdout } = await promisify(execFile)('curl', [
      '-sS',
      '-X',
      'POST',
      '-u',
      `admin:${token}`,
      '-d',
      `@${file}`,
      `${f.harness.baseUrl}/1/deploy`,
      '-w',
      '\n%{http_code}',
    ]);
    const [body, status] = [stdout.slice(0, stdout.lastIndexOf('\n')), stdout.slice(stdout.lastIndexOf('\n') + 1)];
    expect([status, body]).toEqual(['202', expect.stringContaining('"status":"queued"')]);
    const answer = JSON.parse(body);
    expect(await f.outcome(answer.workflowId)).toEqual({ state: 'succeeded' });
    expect(await readFile(join(f.deployDir, repo, 'from-curl.txt'), 'utf8')).toBe('sent by curl -d\n');
    const stored = await f.harness.db.collection('payloads').findOne({ deployment: answer.id });
    expect(stored?.contentType).toBe('application/x-www-form-urlencoded'); // curl's -d type, not a JSON request
  });
});
