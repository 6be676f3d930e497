import fc from 'fast-check';
import { ADMIN, Harness } from '../support/harness';
import { Answer, expectSpecAnswer } from './http-fuzz';

/**
 * Every request body the gateway validates (apps PUT, users, tokens, GitHub authorization),
 * fuzzed over HTTP: answered with a success or a specific code, never `internal`.
 */
const SPECIFIC_CODE = /^(request:[a-z_0-9]+|apps:[a-z_:]+|users?:[a-z_:]+|tokens?:[a-z_:]+|auth:github:[a-z_]+|mw:auth:[a-z_]+)$/;

describe('DTO validation under hostile bodies (property-based, over HTTP)', () => {
  let harness: Harness;
  beforeAll(async () => {
    // GitHub is a closed port: verifying a token then fails with its own code, offline.
    harness = await Harness.start({ worker: false, env: { GATEWAY_BODY_LIMIT_BYTES: '65536', GITHUB_API_URL: 'http://127.0.0.1:1' } });
  });
  afterAll(() => harness.stop());

  const send = async (method: string, path: string, body: string, contentType: string): Promise<Answer> => {
    const authorization = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
    const response = await fetch(`${harness.baseUrl}${path}`, {
      method,
      headers: { authorization, 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, uuid: response.headers.get('x-api-uuid'), text: await response.text() };
  };

  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('', 'http://127.0.0.1/x', 'https://a/{{id}}', 'zip', 'o/r', 'x'.repeat(5000), '__proto__'),
  );
  const fields = [
    'repository',
    'branch',
    'target',
    'webhookSecret',
    'env',
    'retain',
    'ci',
    'username',
    'password',
    'name',
    'credentials',
    '__proto__',
    'constructor',
  ];
  const targetLike = fc.record(
    { url: anyValue, statusUrl: anyValue, username: anyValue, password: anyValue, archiveFormat: anyValue, extra: anyValue },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    fc.dictionary(fc.constantFrom(...fields), anyValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
    fc
      .record(
        {
          repository: fc.constantFrom('octo/app', 'bad', 'a/b/c'),
          target: fc.oneof(targetLike, anyValue),
          env: fc.oneof(fc.dictionary(fc.string(), anyValue), anyValue),
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
    fc
      .record({ username: fc.oneof(fc.string(), anyValue), password: fc.oneof(fc.string({ minLength: 8 }), anyValue) })
      .map((o) => JSON.stringify(o)),
    fc.record({ credentials: fc.oneof(fc.constant('octocat:ghp_token'), fc.string(), anyValue) }).map((o) => JSON.stringify(o)),
    // Valid bodies, so the fuzzing also reaches the services past validation.
    fc
      .record(
        {
          repository: fc.constant('octo/app'),
          branch: fc.constant('main'),
          retain: fc.boolean(),
          ci: fc.constantFrom('auto', 'none'),
          env: fc.constant({ A_B: 'c' }),
        },
        { requiredKeys: ['repository'] },
      )
      .map((o) => JSON.stringify(o)),
    fc
      .record({ username: fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/), password: fc.constant('long-enough-password') })
      .map((o) => JSON.stringify(o)),
    fc.json(),
    fc.string(),
    fc.constantFrom(
      '',
      '{',
      'null',
      '[]',
      '{"repository":"a/b","env":' + '{"a":'.repeat(3_000) + '1' + '}'.repeat(3_001),
      '['.repeat(20_000) + ']'.repeat(20_000),
    ),
  );
  const segment = fc.oneof(
    fc.constantFrom('app', 'my.app', '-x', '..', '%2e%2e', 'a%2Fb', '%00', 'x'.repeat(120)),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
  );
  const request = fc.oneof(
    fc.tuple(
      fc.constant('PUT'),
      segment.map((app) => `/1/apps/admin/${app}`),
    ),
    fc.constant(['POST', '/1/users'] as const),
    fc.tuple(
      fc.constant('POST'),
      fc.constantFrom('admin', 'nobody').map((user) => `/1/users/${user}/tokens`),
    ),
    fc.tuple(
      fc.constant('POST'),
      fc.constantFrom('', '?app=x', '?app=..', '?app=a&app=b', '?app[x]=1').map((q) => `/1/auth/github${q}`),
    ),
  );

  it('answers every body with a success or a specific error code', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        request,
        body,
        fc.constantFrom('application/json', 'application/json', 'application/x-www-form-urlencoded', 'text/plain'),
        async ([method, path], text, type) => {
          const answer = await send(method, path, text, type);
          seen.add(answer.status);
          const codes = { includes: (code: string) => SPECIFIC_CODE.test(code) } as unknown as string[];
          // 500 only with GitHub authorization's own code for an unreachable GitHub (docs/contract.md#github-authorization).
          expectSpecAnswer(answer, [200, 201, 400, 401, 403, 404, 409, 413, 415, 500], codes);
          if (answer.status === 500) expect(JSON.parse(answer.text).error).toBe('auth:github:get_user_failed');
        },
      ),
      { numRuns: 200, endOnFailure: true },
    );
    // The fuzzing reached the services, not just validation.
    expect([...seen].some((status) => status < 300)).toBe(true);
    expect(seen.has(400)).toBe(true);
    expect((await harness.request('GET', '/health', { auth: null })).status).toBe(200);
  });
});
