import { Harness } from '../support/harness';

const BOB = { username: 'bob', password: 'bob-password-1' };
const SHARED = 'http://127.0.0.1:3100';

/**
 * What `PUT /1/apps` takes as an app's own target (security review findings 1, 5, 6, 7: docs/reliability.md#security-findings-issue-18-targets-and-outbound-calls;
 * failure window 6: docs/reliability.md#failure-windows-issue-16): the worker's outbound rules, at configuration time, and never the shared
 * default target; a password stays only with the origin it was given for.
 */
describe('app targets: refused hosts, the shared default target, passwords across a re-target', () => {
  let harness: Harness;
  const put = (app: string, target: object) =>
    harness.request('PUT', `/1/apps/bob/${app}`, { auth: BOB, body: { repository: `octo-org/${app}`, target } });

  beforeAll(async () => {
    harness = await Harness.start({
      worker: false,
      env: {
        TARGET_ALLOW: '10.1.2.3, 10.1.2.9:8080, [::1]:4000',
        DEFAULT_TARGET_URL: `${SHARED}/push`,
        DEFAULT_TARGET_STATUS_URL: `${SHARED}/status/{{id}}`,
      },
    });
    expect((await harness.request('POST', '/1/users', { body: BOB })).status).toBe(201);
  });
  afterAll(() => harness.stop());

  const refused = async (target: object, message: RegExp) => {
    const answer = await put('refused', target);
    expect([JSON.stringify(target), answer.status, answer.json]).toEqual([
      JSON.stringify(target),
      400,
      { error: 'apps:bad_target', message: expect.stringMatching(message), uuid: answer.headers.get('x-api-uuid') },
    ]);
  };

  it('refuses a link-local or metadata url or statusUrl when the app is configured, not only at deploy time', async () => {
    for (const host of [
      '169.254.169.254',
      '[::ffff:169.254.169.254]',
      '[::169.254.169.254]',
      '[64:ff9b::a9fe:a9fe]',
      '[fe80::1]',
      'metadata.google.internal',
    ]) {
      await refused(
        { url: `http://${host}/latest/meta-data/` },
        /^target\.url: host .* is refused: .*(link-local or a cloud metadata address|names a cloud metadata service)/,
      );
      await refused(
        { url: 'https://receiver.example.com/push', statusUrl: `http://${host}/status/{{id}}` },
        /^target\.statusUrl: host .* is refused/,
      );
    }
    expect((await harness.request('GET', '/1/apps/bob/refused', { auth: BOB })).status).toBe(404);
  });

  it('refuses loopback and private targets unless TARGET_ALLOW allows them', async () => {
    await refused({ url: 'http://127.0.0.1:22/' }, /this machine .* allow it with TARGET_ALLOW/);
    await refused({ url: 'http://localhost:6379/' }, /this machine/);
    await refused({ url: 'http://10.1.2.4:8080/push' }, /private network range; allow it with TARGET_ALLOW/);
    await refused({ url: 'http://[fd00::5]/push' }, /private network range/);
    expect((await put('allowed', { url: 'http://10.1.2.3:8080/push' })).status).toBe(200);
    // A name that does not resolve now is checked again by the worker before each call.
    expect((await put('unresolved', { url: 'https://receiver.example.com/push' })).status).toBe(200);
  });

  it('holds a TARGET_ALLOW rule naming a port for that port only (docs/reliability.md, Tenant isolation review)', async () => {
    expect((await put('on-port', { url: 'http://10.1.2.9:8080/push' })).status).toBe(200);
    expect((await put('on-port-v6', { url: 'http://[::1]:4000/push', statusUrl: 'http://[::1]:4000/status/{{id}}' })).status).toBe(200);
    await refused(
      { url: 'http://10.1.2.9:8081/push' },
      /private network range; allow it with TARGET_ALLOW \(10\.1\.2\.9:8081 for this port only\)/,
    );
    await refused({ url: 'http://10.1.2.9/push' }, /10\.1\.2\.9:80 for this port only/);
    await refused(
      { url: 'http://[::1]:4000/push', statusUrl: 'http://[::1]:22/status/{{id}}' },
      /^target\.statusUrl: .*this machine .*\[::1\]:22 for this port only/,
    );
    await refused({ url: 'http://127.0.0.1:4000/push' }, /this machine .*127\.0\.0\.1:4000 for this port only/); // the rule names ::1 only
  });

  it('refuses the shared default target under another spelling, as url or statusUrl', async () => {
    for (const host of ['0.0.0.0', '[::ffff:127.0.0.1]', '[::]', '127.0.0.2', 'localhost', '2130706433', '[64:ff9b::7f00:1]']) {
      await refused(
        { url: `http://${host}:3100/push` },
        /^target\.url reaches the shared default target; to deploy there, leave target out/,
      );
      await refused(
        { url: 'https://receiver.example.com/push', statusUrl: `http://${host}:3100/status/{{id}}` },
        /^target\.statusUrl reaches the shared default target/,
      );
    }
  });

  it('drops the stored password when a PUT sends the target to another origin without it', async () => {
    const view = async () => (await harness.request('GET', '/1/apps/bob/moving', { auth: BOB })).json.target;
    expect(
      (
        await put('moving', {
          url: 'https://a.example.com/push',
          statusUrl: 'https://a.example.com/status/{{id}}',
          username: 'u',
          password: 'secret',
        })
      ).status,
    ).toBe(200);
    // Same origins, another path: the password still goes where it was given for.
    expect((await put('moving', { url: 'https://a.example.com/v2/push', username: 'u' })).status).toBe(200);
    expect(await view()).toMatchObject({ url: 'https://a.example.com/v2/push', hasPassword: true });
    // The statusUrl moves to another host: the password would be sent there.
    expect(
      (await put('moving', { url: 'https://a.example.com/v2/push', statusUrl: 'https://b.example.com/status/{{id}}', username: 'u' }))
        .status,
    ).toBe(200);
    expect(await view()).toMatchObject({ hasPassword: false });
    expect((await put('moving', { url: 'https://a.example.com/push', username: 'u', password: 'secret' })).status).toBe(200);
    for (const url of ['https://evil.example.com/push', 'http://a.example.com/push', 'https://a.example.com:8443/push']) {
      expect((await put('moving', { url: 'https://a.example.com/push', username: 'u', password: 'secret' })).status).toBe(200);
      expect((await put('moving', { url, username: 'u' })).status).toBe(200);
      expect([url, await view()]).toEqual([url, expect.objectContaining({ url, hasPassword: false })]);
    }
  });
});
