import type { Connection } from '@temporalio/client';
import fc from 'fast-check';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { registerSearchAttributes } from '../../libs/deployments';
import { GithubServer } from '../../tools/github-standin/github-standin';
import { checkRunEvent, checkSuiteEvent, statusEvent, StandinCheckSuite } from '../../tools/github-standin/github-standin-ci';
import { pullRequestEvent } from '../../tools/github-standin/github-standin-pulls';
import { ADMIN, Harness } from '../support/harness';
import { githubPush } from '../support/payloads';
import { mutate, oddContentType, sha } from './generators';
import { Answer, expectSpecAnswer } from './http-fuzz';

/**
 * Hostile input (docs/reliability.md#hostile-input--in-npm-test) on the GitHub surfaces (docs/contract.md#ci-gates, docs/contract.md#github-integration) over HTTP against the real gateway,
 * Temporal, MongoDB and the GitHub-shaped server: `check_suite` / `check_run` / `status` events
 * to `/1/deploy`, the App webhook `POST /1/github/webhook`, and `POST /1/auth/github/installations`.
 * Each answer is a success or a spec code (never `internal`); afterwards every deployment has its
 * payload and its workflow, and only the installation its owner administers is linked.
 */
const APP_ID = 4242;
const APP_SECRET = 'fuzz-app-webhook-secret';
const APP_SECRET_OF_AN_APP = 'fuzz-app-secret';
const INSTALLATION = 77;
const BOB = { username: 'bob', password: 'bob-password-for-fuzz' };
const DEPLOY_CODES = [
  'deploy:no_payload',
  'deploy:provider:not_supported',
  'deploy:auth:bad_creds',
  'deploy:auth:bad_signature',
  'deploy:payload:too_large',
  'deploy:db:failed_to_store_payload',
  'deploy:temporal:unavailable',
];
const INSTALLATION_CODES = /^(request:[a-z_0-9]+|auth:github:[a-z_]+|mw:auth:[a-z_]+)$/;
type Auth = 'admin' | 'bob' | 'wrong' | 'none';

describe('GitHub events, the App webhook and installation links under hostile input (property-based, over HTTP)', () => {
  let harness: Harness;
  let github: GithubServer;
  const unavailable = new Set<string>(); // uuids answered 503: their records may lack a workflow
  const waiting = { repo: 'plain', sha: '' };

  beforeAll(async () => {
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    github = await new GithubServer().start();
    github.ci.app = { id: APP_ID, slug: 'deploy-webhooks', publicKey: keys.publicKey };
    github.ci.installations.set(INSTALLATION, {
      id: INSTALLATION,
      account: { login: 'octo-org', type: 'Organization' },
      repositories: ['octo-org/plain', 'octo-org/signed'],
    });
    github.ci.installations.set(78, { id: 78, account: { login: 'someone-else', type: 'User' }, repositories: [] });
    github.ci.orgAdmins.set('octo-org', new Set(['admin-gh']));
    github.tokens.set('ghp_admin', 'admin-gh');
    github.tokens.set('ghp_bob', 'bob-gh');
    harness = await Harness.start({
      worker: false,
      env: {
        GATEWAY_BODY_LIMIT_BYTES: '65536',
        GITHUB_API_URL: github.url,
        GITHUB_APP_ID: String(APP_ID),
        GITHUB_APP_PRIVATE_KEY: keys.privateKey,
        GITHUB_APP_WEBHOOK_SECRET: APP_SECRET,
      },
    });
    // A worker registers these at start; without one every start fails.
    await registerSearchAttributes(harness.temporal.connection as Connection, harness.config.temporal.namespace);
    expect((await harness.request('POST', '/1/users', { body: BOB })).status).toBe(201);
    expect((await harness.request('PUT', '/1/apps/admin/plain', { body: { repository: 'octo-org/plain' } })).status).toBe(200);
    expect(
      (
        await harness.request('PUT', '/1/apps/admin/signed', {
          body: { repository: 'octo-org/signed', webhookSecret: APP_SECRET_OF_AN_APP },
        })
      ).status,
    ).toBe(200);
    expect((await harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_admin' } })).status).toBe(200);
    expect((await harness.request('POST', '/1/auth/github', { auth: BOB, body: { credentials: 'bob-gh:ghp_bob' } })).status).toBe(200);
    expect((await harness.request('POST', '/1/auth/github/installations', { body: { installationId: INSTALLATION } })).status).toBe(200);
    // A deployment that waits (no worker runs it): CI events for its commit are signalled to it.
    waiting.sha = 'c'.repeat(40);
    const pushed = await harness.request('POST', '/1/deploy', {
      headers: { 'x-github-event': 'push', 'x-github-delivery': 'waiting' },
      body: githubPush({ repo: 'plain', sha: waiting.sha }),
    });
    expect(pushed.status).toBe(202);
  });
  afterAll(async () => {
    await harness?.stop();
    await github?.stop();
  });

  const send = async (path: string, auth: Auth, headers: Record<string, string>, body: Buffer | string): Promise<Answer> => {
    const credentials =
      auth === 'admin' ? ADMIN : auth === 'bob' ? BOB : auth === 'wrong' ? { username: 'admin', password: 'wrong-password' } : null;
    if (credentials) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    const response = await fetch(`${harness.baseUrl}${path}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
    const answer = { status: response.status, uuid: response.headers.get('x-api-uuid'), text: await response.text() };
    if (answer.status === 503 && answer.uuid) unavailable.add(answer.uuid);
    return answer;
  };

  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('', 'a/b', '../..', '0'.repeat(40), 'C'.repeat(40), 77, '77', -1, 1e308, null, [], {}, 'x'.repeat(5_000)),
  );
  const repository = fc.constantFrom('octo-org/plain', 'octo-org/signed', 'Octo-Org/PLAIN.git', 'octo-org/unknown', 'octo-org', '');
  const commit = fc.oneof(fc.constant('c'.repeat(40)), sha());
  /** A check_suite, check_run or status payload as GitHub sends it, for a generated repository and commit. */
  const ciEvent = fc
    .tuple(
      fc.constantFrom('check_suite', 'check_run', 'status'),
      repository,
      commit,
      fc.constantFrom('queued', 'in_progress', 'completed'),
      fc.constantFrom('success', 'failure', 'neutral', 'skipped', null),
      fc.option(fc.constantFrom(INSTALLATION, 78, 5)),
    )
    .map(([event, repo, head, status, conclusion, installation]) => {
      const suite = {
        id: 1,
        repository: repo.includes('/') ? repo : `${repo}/x`,
        head_sha: head,
        head_branch: 'main',
        status,
        conclusion,
        app: { id: 15368, slug: 'github-actions' },
        created_at: '2026-11-01T00:00:00Z',
        updated_at: '2026-11-01T00:00:00Z',
        runs: [],
      } as unknown as StandinCheckSuite;
      const options = installation === null ? {} : { installation };
      const payload =
        event === 'check_suite'
          ? checkSuiteEvent(suite, options)
          : event === 'check_run'
            ? checkRunEvent(suite, { id: 2, name: 'test', status, conclusion, html_url: 'https://github.com/x' }, options)
            : statusEvent(suite.repository, head, { state: conclusion ?? 'pending', context: 'ci/test' }, options);
      return { event, payload };
    });
  const pushEvent = fc
    .tuple(fc.constantFrom('plain', 'signed', 'unknown'), sha(), fc.option(fc.constantFrom<unknown>(INSTALLATION, 78, '77', null)))
    .map(([repo, head, installation]) => ({
      event: 'push',
      payload: { ...githubPush({ repo, sha: head }), ...(installation !== null ? { installation: { id: installation } } : {}) },
    }));
  /** The event with up to three fields (at any depth GitHub uses) deleted or replaced by arbitrary JSON. */
  const mutated = (base: fc.Arbitrary<{ event: string; payload: Record<string, unknown> }>) =>
    fc
      .tuple(
        base,
        fc.array(
          fc.tuple(
            fc.constantFrom(
              ['action'],
              ['sha'],
              ['state'],
              ['context'],
              ['repository'],
              ['repository', 'full_name'],
              ['repository', 'name'],
              ['repository', 'owner'],
              ['repository', 'owner', 'login'],
              ['installation'],
              ['installation', 'id'],
              ['check_suite'],
              ['check_suite', 'head_sha'],
              ['check_suite', 'conclusion'],
              ['check_run'],
              ['check_run', 'head_sha'],
              ['check_run', 'name'],
              ['after'],
              ['ref'],
              ['commit'],
              ['branches'],
            ),
            fc.option(anyValue, { nil: undefined }),
          ),
          { maxLength: 3 },
        ),
        fc.option(fc.constantFrom('push', 'ping', 'check_suite', 'check_run', 'status', 'deployment', 'PUSH', ''), { nil: undefined }),
      )
      .map(([{ event, payload }, mutations, otherEvent]) => ({
        event: otherEvent ?? event,
        body: JSON.stringify(mutate(payload, mutations)),
      }));
  const rawBodies = fc.oneof(
    fc.json(),
    fc.string({ maxLength: 100 }),
    fc.constantFrom('', '{', 'null', '[]', '{"installation":{"id":77}}', 'payload=%7B%7D', `{"p":"${'x'.repeat(70_000)}"}`),
  );
  const delivery = (events: fc.Arbitrary<{ event: string; payload: Record<string, unknown> }>) =>
    fc.record({
      message: fc.oneof(
        { weight: 4, arbitrary: mutated(events) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom('push', 'check_suite', 'status', 'ping'), rawBodies)
            .map(([event, body]) => ({ event, body })),
        },
      ),
      contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: oddContentType() }),
      signature: fc.constantFrom('right', 'right', 'right', 'wrong', 'none', 'malformed'),
      delivery: fc.oneof(fc.uuid(), fc.constantFrom('', 'x'.repeat(500))),
    });
  type AppDelivery = { message: { event: string; body: string }; contentType: string | undefined; signature: string; delivery: string };
  const headersFor = (
    d: { message: { event: string; body: string }; contentType: string | undefined; signature: string; delivery: string },
    secret: string,
  ) => {
    const headers: Record<string, string> = { 'x-github-event': d.message.event, 'x-github-delivery': d.delivery };
    if (d.contentType !== undefined) headers['content-type'] = d.contentType;
    if (d.signature === 'right' || d.signature === 'wrong')
      headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', d.signature === 'right' ? secret : 'not-it')
        .update(d.message.body)
        .digest('hex')}`;
    if (d.signature === 'malformed') headers['x-hub-signature-256'] = 'sha256=zz';
    return headers;
  };

  it('answers every check_suite / check_run / status event to /1/deploy with a success or a spec code', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(delivery(ciEvent), fc.constantFrom<Auth>('admin', 'admin', 'admin', 'bob', 'wrong', 'none'), async (d, auth) => {
        const answer = await send('/1/deploy', auth, headersFor(d, APP_SECRET_OF_AN_APP), d.message.body);
        seen.add(answer.status);
        expectSpecAnswer(answer, [200, 202, 400, 401, 413, 503], DEPLOY_CODES);
        // Body limits and content types are checked before credentials; nothing succeeds without them.
        if (auth === 'wrong' || auth === 'none')
          expect([d.message.event, auth, [400, 401, 413].includes(answer.status)]).toEqual([d.message.event, auth, true]);
      }),
      { numRuns: 200, endOnFailure: true },
    );
    // The events reached the deployment that waits (202), were ignored (200) and refused.
    expect([...seen]).toEqual(expect.arrayContaining([200, 202, 400, 401]));
  });

  it('answers every App webhook delivery with a success or a spec code', async () => {
    const seen = new Set<number>();
    const push = (body: string, more: { event?: string; contentType?: string; signature?: string } = {}) =>
      [
        {
          message: { event: more.event ?? 'push', body },
          contentType: more.contentType ?? 'application/json',
          signature: more.signature ?? 'right',
          delivery: `example-${seen.size}-${body.length}`,
        },
      ] as [AppDelivery];
    const routed = JSON.stringify({ ...githubPush({ repo: 'plain', sha: 'e'.repeat(40) }), installation: { id: INSTALLATION } });
    // Each answer the App webhook has, whatever the seed; the last two got the generic request codes (413, 415) before the fix.
    const examples = [
      push(routed),
      push('{}', { event: 'ping' }),
      push(routed, { signature: 'wrong' }),
      push(`{"p":"${'x'.repeat(70_000)}"}`),
      push(routed, { contentType: '~' }),
    ];
    await fc.assert(
      fc.asyncProperty(delivery(fc.oneof(ciEvent, pushEvent)), async (d) => {
        const answer = await send('/1/github/webhook', 'none', headersFor(d, APP_SECRET), d.message.body);
        seen.add(answer.status);
        expectSpecAnswer(answer, [200, 202, 400, 401, 413, 503], DEPLOY_CODES);
        if (d.signature !== 'right')
          expect([d.signature, answer.status, [400, 401, 413].includes(answer.status)]).toEqual([d.signature, answer.status, true]);
      }),
      { numRuns: 200, endOnFailure: true, examples },
    );
    expect([...seen]).toEqual(expect.arrayContaining([200, 202, 400, 401, 413]));
  });

  it('answers every installation link request with a success or a spec code, and links only what the caller administers', async () => {
    const seen = new Set<number>();
    const id = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom<unknown>(INSTALLATION, 78, 5, 0, -1, 1.5, 2 ** 53, 1e308, '77', ' 77', [77], { id: 77 }, null, true),
      },
      { weight: 1, arbitrary: anyValue },
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: id.map((installationId) => JSON.stringify({ installationId })) },
      { weight: 1, arbitrary: fc.record({ installationId: id, extra: anyValue }, { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
      { weight: 1, arbitrary: rawBodies },
    );
    // Each answer the link has, whatever the seed: linked (again); not the caller's or no such installation (one answer, 404).
    const examples: Array<[string, Auth, string]> = [
      [JSON.stringify({ installationId: INSTALLATION }), 'admin', 'application/json'],
      [JSON.stringify({ installationId: INSTALLATION }), 'bob', 'application/json'],
      [JSON.stringify({ installationId: 5 }), 'admin', 'application/json'],
    ];
    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom<Auth>('admin', 'admin', 'bob', 'wrong', 'none'),
        fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (text, auth, contentType) => {
          const answer = await send('/1/auth/github/installations', auth, { 'content-type': contentType }, text);
          seen.add(answer.status);
          expectSpecAnswer(answer, [200, 400, 401, 404, 413, 415], {
            includes: (code: string) => INSTALLATION_CODES.test(code),
          } as unknown as string[]);
          if (answer.status === 200) expect([auth, JSON.parse(answer.text).installationId]).toEqual(['admin', INSTALLATION]);
        },
      ),
      { numRuns: 200, endOnFailure: true, examples },
    );
    expect([...seen]).toEqual(expect.arrayContaining([200, 400, 401, 404]));
    const links = await harness.db.collection('github_installations').find().toArray();
    expect(links.map((l) => [l.user, l.installationId])).toEqual([['admin', INSTALLATION]]);
  });

  it('answers every pull_request event to /1/deploy with a success or a spec code, and keeps each preview once', async () => {
    const put = await harness.request('PUT', '/1/apps/admin/previewed', {
      body: { repository: 'octo-org/previewed', previews: { enabled: true, max: 3 } },
    });
    expect(put.status).toBe(200);
    const pullRequest = fc
      .tuple(
        fc.constantFrom('opened', 'reopened', 'synchronize', 'closed', 'edited', 'labeled', ''),
        fc.integer({ min: 1, max: 6 }),
        sha(),
        fc.constantFrom('octo-org/previewed', 'mallory/previewed', 'octo-org/plain'),
      )
      .map(([action, number, head, from]) => {
        const pull = {
          number,
          repository: 'octo-org/previewed',
          state: action === 'closed' ? ('closed' as const) : ('open' as const),
          merged: false,
          head: { sha: head, ref: `feature-${number}`, repository: from },
          base: { ref: 'main' },
          title: 'A change',
          createdAt: '2026-11-01T00:00:00Z',
          updatedAt: '2026-11-01T00:00:00Z',
        };
        return {
          event: 'pull_request',
          payload: pullRequestEvent(action, pull, { before: action === 'synchronize' ? 'd'.repeat(40) : undefined }),
        };
      });
    const mutations = fc.array(
      fc.tuple(
        fc.constantFrom(
          ['action'],
          ['number'],
          ['before'],
          ['repository'],
          ['repository', 'name'],
          ['repository', 'owner', 'login'],
          ['pull_request'],
          ['pull_request', 'head'],
          ['pull_request', 'head', 'sha'],
          ['pull_request', 'head', 'ref'],
          ['pull_request', 'head', 'repo'],
          ['pull_request', 'head', 'repo', 'full_name'],
          ['pull_request', 'merged'],
          ['pull_request', 'updated_at'],
        ),
        fc.option(anyValue, { nil: undefined }),
      ),
      { maxLength: 2 },
    );
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(pullRequest, mutations, fc.constantFrom<Auth>('admin', 'admin', 'admin', 'none'), async (event, changes, auth) => {
        const body = JSON.stringify(mutate(event.payload, changes));
        const answer = await send('/1/deploy', auth, { 'x-github-event': 'pull_request', 'content-type': 'application/json' }, body);
        seen.add(answer.status);
        expectSpecAnswer(answer, [200, 202, 400, 401, 409, 413, 503], [...DEPLOY_CODES, 'apps:previews:limit', 'apps:previews:db:failed']);
        if (auth === 'none') expect(answer.status).toBe(401);
      }),
      { numRuns: 150, endOnFailure: true },
    );
    expect([...seen]).toEqual(expect.arrayContaining([200, 202, 400]));
    // One record per pull request that got a preview, never more than previews.max at once.
    const previews = await harness.db.collection('previews').find({ app: 'previewed' }).toArray();
    expect(new Set(previews.map((p) => p._id)).size).toBe(previews.length);
    expect(previews.length).toBeLessThanOrEqual(6);
  });

  it('left no half-written deployment: each has its payload and its workflow', async () => {
    const deployments = await harness.db.collection('deployments').find().toArray();
    expect(deployments.length).toBeGreaterThan(1); // the App webhook's pushes started deployments
    for (const deployment of deployments) {
      const payload = await harness.db
        .collection('payloads')
        .findOne({ $or: [{ _id: deployment.payloadId }, { deployment: deployment._id }] });
      expect([deployment._id, payload?.deployment]).toEqual([deployment._id, deployment._id]);
      if (unavailable.has(deployment.uuid)) continue;
      const description = await harness.temporal.workflow.getHandle(deployment.workflowId).describe();
      expect(description.workflowId).toBe(deployment.workflowId);
    }
    expect((await harness.request('GET', '/health', { auth: null })).status).toBe(200);
  });
});
