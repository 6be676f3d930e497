import fc from 'fast-check';
import { githubPush, travisBuild } from '../support/payloads';

/** fast-check generators of hostile webhook deliveries, shared by the pure and the HTTP fuzz suites. */

/** Header values an HTTP client can actually send (visible ASCII and spaces, no CR/LF). */
const headerText = (maxLength = 60, minLength = 0) =>
  fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength, maxLength });

export const sha = () => fc.stringMatching(/^[0-9a-f]{40}$/);

export function oddContentType(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=latin1',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/json;;;',
      'application/jsonx',
      'application/*',
      '*/*',
    ),
    fc.constant(undefined),
    headerText(40),
  );
}

export function hostileHeaders(): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      'x-github-event': fc.oneof(fc.constantFrom('push', 'ping', 'issues', 'PUSH', 'create', ''), headerText(30)),
      // Distinct per case: a delivery id reused with another body is its own (known-bug) test.
      'x-github-delivery': fc.oneof(fc.uuid(), fc.constant(''), headerText(600, 24)),
      'x-hub-signature-256': fc.oneof(
        fc.stringMatching(/^sha256=[0-9a-f]{64}$/),
        fc.constantFrom('sha256=', 'sha1=abc', ''),
        headerText(200),
      ),
      'travis-repo-slug': fc.oneof(fc.constant('octo-org/hello-world'), headerText(100)),
      signature: fc.oneof(fc.base64String({ maxLength: 400 }), headerText(100)),
      'user-agent': headerText(100),
    },
    { requiredKeys: [] },
  );
}

/** A GitHub push or Travis build with some fields deleted or replaced by arbitrary JSON. */
export function mutatedPayload(): fc.Arbitrary<Record<string, unknown>> {
  const base = fc
    .tuple(sha(), fc.boolean())
    .map(([commit, travis]) => (travis ? travisBuild({ sha: commit }) : githubPush({ sha: commit })) as Record<string, unknown>);
  const path = fc.constantFrom(
    ['after'],
    ['ref'],
    ['repository'],
    ['repository', 'name'],
    ['repository', 'owner'],
    ['repository', 'owner', 'login'],
    ['repository', 'owner', 'name'],
    ['repository', 'owner_name'],
    ['repository', 'default_branch'],
    ['repository', 'private'],
    ['deleted'],
    ['head_commit'],
    ['head_commit', 'message'],
    ['pusher'],
    ['commit'],
    ['status_message'],
    ['result_message'],
    ['branch'],
    ['id'],
    ['build_url'],
    ['zen'],
    ['hook_id'],
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('../..', 'a/b', '', 'refs/heads/main', 'refs/tags/v1', '0'.repeat(40), 'A'.repeat(40), 'x'.repeat(10_000)),
  );
  const mutation = fc.tuple(path, fc.option(value, { nil: undefined }));
  return fc.tuple(base, fc.array(mutation, { maxLength: 4 })).map(([payload, mutations]) => mutate(payload, mutations));
}

/** A copy of `payload` with each field at a key path deleted (undefined) or replaced, objects made on the way. */
export function mutate(
  payload: Record<string, unknown>,
  mutations: ReadonlyArray<readonly [readonly string[], unknown]>,
): Record<string, unknown> {
  const copy = structuredClone(payload);
  for (const [keys, replacement] of mutations) {
    let at: Record<string, unknown> = copy;
    for (const key of keys.slice(0, -1)) {
      if (typeof at[key] !== 'object' || at[key] === null || Array.isArray(at[key])) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (replacement === undefined) delete at[last];
    else at[last] = replacement;
  }
  return copy;
}

/** Raw request bodies: JSON of any shape, text, bytes, form encodings, mutated real payloads. */
export function rawBody(): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.json().map((text) => Buffer.from(text)),
    fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    mutatedPayload().map((payload) => Buffer.from(JSON.stringify(payload))),
    mutatedPayload().map((payload) => Buffer.from(new URLSearchParams({ payload: JSON.stringify(payload) }).toString())),
    fc
      .constantFrom('', ' ', 'payload=', 'payload=%7B', 'payload', '{}', '[]', 'null', '"x"', '1e999', '{"__proto__":{"x":1}}', '\ufeff{}')
      .map((text) => Buffer.from(text)),
  );
}
