import type { Connection } from '@temporalio/client';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { registerSearchAttributes } from '../../libs/deployments';
import { ADMIN, Harness } from '../support/harness';
import { githubPush } from '../support/payloads';
import { hostileHeaders, mutatedPayload, oddContentType, rawBody } from './generators';
import { expectSpecAnswer, Answer } from './http-fuzz';

/**
 * Hostile webhook deliveries over HTTP against the real gateway, Temporal and MongoDB: every
 * answer is a success or a spec error (never `internal`), and nothing is left half-written.
 */
const SECRET = 'fuzz-webhook-secret';
const BODY_LIMIT = 65_536;
const REUSED_DELIVERY = 'reused-delivery';
const INTAKE_CODES = [
  'deploy:no_payload',
  'deploy:provider:not_supported',
  'deploy:auth:bad_creds',
  'deploy:auth:bad_signature',
  'deploy:payload:too_large',
  'deploy:db:failed_to_store_payload',
  'deploy:temporal:unavailable',
];

describe('webhook intake under hostile input (property-based, over HTTP)', () => {
  let harness: Harness;
  const unavailable = new Set<string>(); // uuids of requests answered 503: their records may lack a workflow
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { GATEWAY_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    // A worker registers these at start; without one every start fails (see the report).
    await registerSearchAttributes(harness.temporal.connection as Connection, harness.config.temporal.namespace);
    expect(
      (await harness.request('PUT', '/1/apps/admin/signed', { body: { repository: 'octo-org/signed', webhookSecret: SECRET } })).status,
    ).toBe(200);
  });
  afterAll(() => harness.stop());

  const deliver = async (
    path: string,
    headers: Record<string, string>,
    body: Buffer,
    auth: 'admin' | 'wrong' | 'none',
  ): Promise<Answer> => {
    const credentials = auth === 'admin' ? ADMIN : auth === 'wrong' ? { username: 'admin', password: 'nope' } : null;
    if (credentials) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    const response = await fetch(`${harness.baseUrl}${path}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
    const answer = { status: response.status, uuid: response.headers.get('x-api-uuid'), text: await response.text() };
    if (answer.status === 503 && answer.uuid) unavailable.add(answer.uuid);
    return answer;
  };

  const delivery = fc.record({
    path: fc.constantFrom('/', '/1/deploy', '/?x=1'),
    auth: fc.constantFrom<'admin' | 'wrong' | 'none'>('admin', 'admin', 'admin', 'admin', 'wrong', 'none'),
    contentType: oddContentType(),
    headers: hostileHeaders(),
    body: fc.oneof(
      { weight: 3, arbitrary: rawBody() },
      { weight: 3, arbitrary: mutatedPayload().map((p) => Buffer.from(JSON.stringify(p))) },
      { weight: 1, arbitrary: fc.nat({ max: 3 * BODY_LIMIT }).map((n) => Buffer.from(`{"p":"${'x'.repeat(n)}"}`)) },
    ),
    signed: fc.constantFrom('no', 'to-signed-app', 'to-signed-app-badly'),
  });

  // One delivery of each kind the property must answer, run first whatever the seed: the random
  // cases then only add hostility, and the coverage check below cannot depend on luck.
  type Delivery = typeof delivery extends fc.Arbitrary<infer T> ? T : never;
  const wellFormed = (overrides: Partial<Delivery>): [Delivery] => [
    {
      path: '/1/deploy',
      auth: 'admin',
      contentType: 'application/json',
      headers: {
        'x-github-event': 'push',
        'x-github-delivery': `example-${overrides.auth ?? 'admin'}-${overrides.headers?.['x-github-event'] ?? 'push'}-${overrides.body?.length ?? 0}`,
      },
      body: Buffer.from(JSON.stringify(githubPush())),
      signed: 'no',
      ...overrides,
    },
  ];
  const examples = [
    wellFormed({}), // 202: a push starts a deployment
    wellFormed({ headers: { 'x-github-event': 'ping', 'x-github-delivery': 'example-ping' } }), // 200: answered, nothing started
    wellFormed({ auth: 'wrong' }), // 401
    wellFormed({ body: Buffer.from('{"p":') }), // 400
    wellFormed({ body: Buffer.from(`{"p":"${'x'.repeat(2 * BODY_LIMIT)}"}`) }), // 413
  ];

  it('answers every delivery with 2xx or a spec error code', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(delivery, async ({ path, auth, contentType, headers, body, signed }) => {
        const sent = { ...headers };
        if (contentType !== undefined) sent['content-type'] = contentType;
        let payload = body;
        if (signed !== 'no') {
          // Aim at the app with a webhook secret, with a right or a wrong signature.
          payload = Buffer.from(body.toString('utf8').replace(/hello-world/g, 'signed'));
          const key = signed === 'to-signed-app' ? SECRET : 'not-the-secret';
          sent['x-hub-signature-256'] = `sha256=${createHmac('sha256', key).update(payload).digest('hex')}`;
        }
        const answer = await deliver(path, sent, payload, auth);
        seen.add(answer.status);
        expectSpecAnswer(answer, [200, 202, 400, 401, 413, 503], INTAKE_CODES);
        // Body limits and content types are checked before credentials; nothing succeeds without them.
        if (auth !== 'admin') expect([400, 401, 413]).toContain(answer.status);
      }),
      { numRuns: 260, endOnFailure: true, examples },
    );
    expect([...seen]).toEqual(expect.arrayContaining([200, 202, 400, 401, 413]));
  });

  it('answers the same deliveries again (redeliveries) without a second deployment', async () => {
    const before = await harness.db.collection('deployments').countDocuments();
    const again = await harness.db.collection('payloads').find({ provider: 'github' }).limit(20).toArray();
    for (const stored of again) {
      const answer = await deliver(
        '/1/deploy',
        { ...(stored.headers as Record<string, string>) },
        Buffer.from(stored.body as string),
        'admin',
      );
      expectSpecAnswer(answer, [200, 202, 401], INTAKE_CODES);
      if (answer.status === 202) expect(JSON.parse(answer.text)).toMatchObject({ id: stored.deployment, existing: true });
    }
    expect(await harness.db.collection('deployments').countDocuments()).toBe(before);
  });

  // The payload id once was `github:<delivery>` alone, so a second push (or another user)
  // reusing a delivery id got a deployment whose payload was the first push's.
  it('pairs each deployment with its own payload when an X-GitHub-Delivery is reused', async () => {
    const headers = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': REUSED_DELIVERY };
    const ids: string[] = [];
    for (const sha of ['1'.repeat(40), '2'.repeat(40)]) {
      const answer = await deliver('/1/deploy', { ...headers }, Buffer.from(JSON.stringify(githubPush({ sha }))), 'admin');
      expectSpecAnswer(answer, [202], INTAKE_CODES);
      ids.push(JSON.parse(answer.text).id);
    }
    for (const id of ids) {
      const deployment = await harness.db.collection('deployments').findOne({ _id: id as never });
      const payload = await harness.db.collection('payloads').findOne({ _id: deployment!.payloadId });
      expect(payload?.deployment).toBe(id);
    }
  });

  it('left no half-written deployment: each has its payload and its workflow', async () => {
    const deployments = await harness.db.collection('deployments').find().toArray();
    expect(deployments.length).toBeGreaterThan(0); // the fuzzing did start deployments
    for (const deployment of deployments) {
      const payload = await harness.db
        .collection('payloads')
        .findOne({ $or: [{ _id: deployment.payloadId }, { deployment: deployment._id }] });
      expect(payload).not.toBeNull();
      expect({ id: deployment._id, payloadFor: payload!.deployment }).toEqual({ id: deployment._id, payloadFor: deployment._id });
      if (unavailable.has(deployment.uuid)) continue;
      const description = await harness.temporal.workflow.getHandle(deployment.workflowId).describe();
      expect(description.workflowId).toBe(deployment.workflowId);
    }
    const health = await harness.request('GET', '/health', { auth: null });
    expect(health.status).toBe(200);
  });
});
