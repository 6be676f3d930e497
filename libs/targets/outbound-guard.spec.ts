import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseRuleList } from '../config/outbound-rules';
import { OutboundGuard, ResolvedAddress } from './outbound-guard';
import { TargetClient } from './target-client';
import { TargetError } from './target-error';

/** A resolver from a fixed table, so no test depends on real DNS. */
const table =
  (entries: Record<string, string[]>) =>
  async (host: string): Promise<ResolvedAddress[]> => {
    const addresses = entries[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const dns = table({
  'receiver.example.com': ['203.0.113.7'],
  'internal.example.com': ['10.1.2.3'],
  'rebind.example.com': ['203.0.113.8', '169.254.169.254'],
  'v6.example.com': ['2001:db8::1', 'fe80::1'],
  localhost: ['127.0.0.1', '::1'],
});

async function refusal(guard: OutboundGuard, url: string): Promise<TargetError | undefined> {
  try {
    await guard.check(url);
    return undefined;
  } catch (err) {
    if (!(err instanceof TargetError)) throw err;
    return err;
  }
}

describe('OutboundGuard', () => {
  const guard = new OutboundGuard({ resolve: dns });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://169.254.1.1:8080/',
    'http://2852039166/', // 169.254.169.254 as one number; the URL parser normalises it
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://169.254.169.254./',
    'http://[::ffff:169.254.169.254]/',
    // IPv4-embedded IPv6 spellings of the metadata address (security review finding 11: docs/reliability.md#security-findings-issue-18-targets-and-outbound-calls).
    'http://[::169.254.169.254]/',
    'http://[::a9fe:a9fe]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[64:ff9b::169.254.169.254]/',
    'http://[64:ff9b:1:a9fe:a9:fe00::]/', // the local-use NAT64 prefix, /48 layout
    'http://[::ffff:0:a9fe:a9fe]/',
    'http://[2002:a9fe:a9fe::1]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://METADATA.google.internal./',
    'http://metadata/',
    'http://rebind.example.com/', // one bad address among good ones is enough
    'http://v6.example.com/',
  ])('refuses %s by default, as a non-retryable config error', async (url) => {
    const err = await refusal(guard, url);
    expect(err).toMatchObject({ kind: 'config', retryable: false, message: expect.stringMatching(/refused: .*(metadata|link-local)/) });
  });

  it.each([
    ['http://127.0.0.1:4000/push', /this machine/],
    ['http://localhost/', /this machine/],
    ['http://[::1]/', /this machine/],
    ['http://0.0.0.0:3100/', /this machine/],
    ['http://[::]/', /this machine/],
    ['http://[::ffff:127.0.0.1]/', /this machine/],
    ['http://[::127.0.0.1]/', /this machine/],
    ['http://[64:ff9b::7f00:1]/', /this machine/],
    ['http://10.0.0.5/', /private network/],
    ['http://192.168.1.1/', /private network/],
    ['http://172.16.0.1/', /private network/],
    ['http://100.64.0.1/', /private network/],
    ['http://[fd12::1]/', /private network/],
    ['http://[::ffff:10.0.0.5]/', /private network/],
    ['http://internal.example.com/', /private network/],
  ])('refuses loopback, unspecified and private %s unless allowed', async (url, why) => {
    expect(await refusal(guard, url)).toMatchObject({ kind: 'config', retryable: false, message: expect.stringMatching(why) });
    expect((await refusal(guard, url))?.message).toMatch(/TARGET_ALLOW/);
    const allowed = new OutboundGuard({
      resolve: dns,
      allow: ['127.0.0.0/8', '::1', '0.0.0.0', '::', '10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12', '100.64.0.0/10', 'fd00::/8'],
    });
    expect(await refusal(allowed, url)).toBeUndefined();
  });

  it("refuses an address of one of this machine's interfaces, whatever its range", async () => {
    const local = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .map((i) => i.address);
    for (const address of local) {
      expect(await refusal(guard, `http://${address.includes(':') ? `[${address.replace(/%.*/, '')}]` : address}:8080/`)).toMatchObject({
        kind: 'config',
      });
    }
  });

  it('allows public addresses by default', async () => {
    expect(await refusal(guard, 'https://receiver.example.com/')).toBeUndefined();
    expect(await refusal(guard, 'http://[2001:db8::5]/')).toBeUndefined();
  });

  it('applies deny lists of CIDRs and host names, and allow lists over both', async () => {
    const strict = new OutboundGuard({
      resolve: dns,
      deny: ['10.0.0.0/8', '*.other.example.com', 'other.example.com', '::1/128'],
      allow: ['10.1.2.3', 'receiver.example.com'],
    });
    expect(await refusal(strict, 'http://10.9.9.9/')).toMatchObject({
      kind: 'config',
      message: expect.stringMatching(/10\.9\.9\.9 is on the outbound deny list/),
    });
    expect(await refusal(strict, 'http://a.other.example.com/')).toMatchObject({
      message: expect.stringMatching(/name is on the outbound deny list/),
    });
    expect(await refusal(strict, 'http://[::1]/')).toMatchObject({ kind: 'config' });
    expect(await refusal(strict, 'http://internal.example.com/')).toBeUndefined(); // its address 10.1.2.3 is allowed
    expect(await refusal(strict, 'http://receiver.example.com/')).toBeUndefined();

    const only = new OutboundGuard({ resolve: dns, deny: ['0.0.0.0/0', '::/0'], allow: ['receiver.example.com'] });
    expect(await refusal(only, 'http://receiver.example.com/')).toBeUndefined();
    expect(await refusal(only, 'http://127.0.0.1/')).toMatchObject({ kind: 'config' });
    expect(await refusal(only, 'http://[2001:db8::5]/')).toMatchObject({ kind: 'config' });

    const metadataAllowed = new OutboundGuard({ resolve: dns, allow: ['169.254.169.254/32'] });
    expect(await refusal(metadataAllowed, 'http://169.254.169.254/')).toBeUndefined();
    expect(await refusal(metadataAllowed, 'http://169.254.169.253/')).toMatchObject({ kind: 'config' });
  });

  it('holds a rule naming a port for that port only, so allowing one loopback receiver opens no other port (docs/reliability.md, Tenant isolation review)', async () => {
    const scoped = new OutboundGuard({
      resolve: dns,
      allow: ['127.0.0.1:3100', '[::1]:3100', 'receiver.example.com:443', 'internal.example.com:8080', '[fd00::/8]:9000', '10.0.0.0/8:80'],
    });
    for (const url of [
      'http://127.0.0.1:3100/push',
      'http://[::1]:3100/status/1',
      'http://internal.example.com:8080/',
      'http://[fd12::1]:9000/',
      'http://10.9.9.9/',
    ])
      expect([url, await refusal(scoped, url)]).toEqual([url, undefined]);
    for (const url of [
      'http://127.0.0.1:3101/',
      'http://127.0.0.1:22/',
      'http://127.0.0.1/', // port 80, the scheme's default
      'http://[::1]:27017/',
      'http://internal.example.com:8081/',
      'http://[fd12::1]:9001/',
      'https://10.9.9.9/',
    ])
      expect([url, await refusal(scoped, url)]).toMatchObject([
        url,
        { kind: 'config', message: expect.stringMatching(/; allow it with TARGET_ALLOW \(\S+:\d+ for this port only\)$/) },
      ]);
    // A host name allowed on a port skips the address checks on that port only.
    expect(await refusal(new OutboundGuard({ resolve: dns, allow: ['localhost:3100'] }), 'http://localhost:3100/')).toBeUndefined();
    expect(await refusal(new OutboundGuard({ resolve: dns, allow: ['localhost:3100'] }), 'http://localhost:3101/')).toMatchObject({
      kind: 'config',
    });
    expect(
      await refusal(
        new OutboundGuard({ resolve: dns, allow: ['receiver.example.com:443'], deny: ['receiver.example.com'] }),
        'https://receiver.example.com/',
      ),
    ).toBeUndefined();
    expect(
      await refusal(
        new OutboundGuard({ resolve: dns, allow: ['receiver.example.com:443'], deny: ['receiver.example.com'] }),
        'http://receiver.example.com/',
      ),
    ).toMatchObject({
      message: expect.stringMatching(/name is on the outbound deny list/),
    });
    // Deny rules take a port too; a rule without one keeps meaning every port.
    const noSsh = new OutboundGuard({ resolve: dns, deny: ['0.0.0.0/0:22', '[::/0]:22'] });
    expect(await refusal(noSsh, 'http://203.0.113.9:22/')).toMatchObject({ message: expect.stringMatching(/deny list/) });
    expect(await refusal(noSsh, 'http://[2001:db8::5]:22/')).toMatchObject({ message: expect.stringMatching(/deny list/) });
    expect(await refusal(noSsh, 'http://203.0.113.9:2222/')).toBeUndefined();
    const everyPort = new OutboundGuard({ resolve: dns, allow: ['127.0.0.1', '::1'] });
    expect(await refusal(everyPort, 'http://127.0.0.1:3101/')).toBeUndefined();
    expect(await refusal(everyPort, 'http://[::1]:22/')).toBeUndefined();
  });

  it('rejects a rule with a bad port at construction, and reads an unbracketed IPv6 address as no port', async () => {
    expect(() => new OutboundGuard({ allow: ['127.0.0.1:0'] })).toThrow(/allow rule "127.0.0.1:0": bad port/);
    expect(() => new OutboundGuard({ allow: ['receiver:65536'] })).toThrow(/bad port/);
    expect(() => new OutboundGuard({ deny: ['receiver:'] })).toThrow(/deny rule "receiver:": bad port/);
    expect(() => new OutboundGuard({ allow: ['[::1]:x'] })).toThrow(/allow rule/);
    expect(() => new OutboundGuard({ allow: ['127.0.0.1:3100:1'] })).toThrow(/allow rule/);
    const v6 = new OutboundGuard({ resolve: dns, allow: ['::1', '2001:db8::3100'] });
    expect(await refusal(v6, 'http://[::1]:4000/')).toBeUndefined();
  });

  it('makes a failed resolution a retryable network error', async () => {
    expect(await refusal(guard, 'http://nowhere.example.com/')).toMatchObject({
      kind: 'network',
      retryable: true,
      message: expect.stringMatching(/ENOTFOUND/),
    });
    const empty = new OutboundGuard({ resolve: async () => [] });
    expect(await refusal(empty, 'http://x.example.com/')).toMatchObject({ kind: 'network', retryable: true });
  });

  it('rejects unusable rules at construction, naming them', () => {
    expect(() => new OutboundGuard({ deny: ['10.0.0.0/33'] })).toThrow(/deny rule "10.0.0.0\/33"/);
    expect(() => new OutboundGuard({ allow: ['http://x/'] })).toThrow(/allow rule "http:\/\/x\/"/);
    expect(() => new OutboundGuard({ deny: ['1.2.3.4/8/1'] })).toThrow(/deny rule/);
    expect(parseRuleList(' 10.0.0.0/8, fd00::/8\n*.corp.example ')).toEqual(['10.0.0.0/8', 'fd00::/8', '*.corp.example']);
    expect(parseRuleList(undefined)).toEqual([]);
  });

  it('hands http.request a lookup that answers only the checked addresses', async () => {
    const lookup = (await new OutboundGuard({ resolve: dns, allow: ['localhost'] }).check('http://localhost/')) as unknown as (
      h: string,
      o: object,
      cb: (...a: unknown[]) => void,
    ) => void;
    const one = await new Promise<unknown[]>((resolve) => lookup('evil.example', {}, (...args) => resolve(args)));
    expect(one).toEqual([null, '127.0.0.1', 4]);
    const v6 = await new Promise<unknown[]>((resolve) => lookup('evil.example', { family: 6 }, (...args) => resolve(args)));
    expect(v6).toEqual([null, '::1', 6]);
    const all = await new Promise<unknown[]>((resolve) => lookup('evil.example', { all: true }, (...args) => resolve(args)));
    expect(all).toEqual([
      null,
      [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
    ]);
  });
});

describe('TargetClient outbound safety (against a local server)', () => {
  let server: http.Server;
  let port: number;
  let hits: string[];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url} host=${req.headers.host}`);
      if (req.url?.startsWith('/moved')) return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (req.url?.startsWith('/hostile'))
        return void res
          .writeHead(200)
          .end(JSON.stringify({ _doc: 'r1', state: `${'A'.repeat(5000)}\n\u001b[31m2026-01-01 ERROR forged log line`, records: [] }));
      req.resume();
      req.on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ _doc: 'r1', state: 'SUCCESS', records: [] })),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  beforeEach(() => (hits = []));
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const LOOPBACK = { allow: ['127.0.0.1'] }; // this server; loopback is refused unless allowed
  const pkg = {
    _doc: 'd1',
    operation: 'DEPLOY' as const,
    retain: false,
    app: { name: 'a', version: '1' },
    commit: 'c',
    repository: 'o/r',
    env: {},
    records: [],
  };

  it('calls a loopback receiver when allowed, and refuses it when denied, before connecting', async () => {
    const client = new TargetClient({ timeoutMs: 5_000, outbound: LOOPBACK });
    await expect(client.push({ url: `http://127.0.0.1:${port}/push` }, pkg, [])).resolves.toEqual({ remoteId: 'r1' });
    const denied = new TargetClient({ timeoutMs: 5_000, outbound: { deny: ['127.0.0.0/8'] } });
    await expect(denied.push({ url: `http://127.0.0.1:${port}/push` }, pkg, [])).rejects.toMatchObject({
      kind: 'config',
      retryable: false,
    });
    await expect(denied.status({ url: 'x', statusUrl: `http://127.0.0.1:${port}/status/{{id}}` }, 'r1')).rejects.toMatchObject({
      kind: 'config',
    });
    expect(hits).toEqual([`POST /push host=127.0.0.1:${port}`]);
  });

  it('refuses the metadata service without a request leaving', async () => {
    const client = new TargetClient({ timeoutMs: 2_000, outbound: LOOPBACK });
    await expect(client.push({ url: 'http://169.254.169.254/latest/meta-data/' }, pkg, [])).rejects.toMatchObject({
      kind: 'config',
      retryable: false,
      message: expect.stringMatching(/169\.254\.169\.254 is refused/),
    });
  });

  it('connects to the address it checked, whatever a second DNS answer would say (no rebinding)', async () => {
    let answers = 0;
    // First answer passes the check; any later lookup would point at the metadata service.
    const resolve = async () => [{ address: answers++ === 0 ? '127.0.0.1' : '169.254.169.254', family: 4 }];
    const client = new TargetClient({ timeoutMs: 5_000, outbound: { resolve, allow: ['127.0.0.1'] } });
    await expect(client.status({ url: 'x', statusUrl: `http://receiver.invalid:${port}/status/{{id}}` }, 'r1')).resolves.toMatchObject({
      _doc: 'r1',
    });
    expect(answers).toBe(1);
    expect(hits).toEqual([`GET /status/r1 host=receiver.invalid:${port}`]); // Host header keeps the name
  });

  it('quotes no more of an answer in its message than a short, printable excerpt', async () => {
    const client = new TargetClient({ timeoutMs: 5_000, outbound: LOOPBACK });
    const err = (await client
      .status({ url: 'x', statusUrl: `http://127.0.0.1:${port}/hostile/{{id}}` }, 'r1')
      .catch((e: unknown) => e)) as TargetError;
    expect(err).toMatchObject({ kind: 'malformed', message: expect.stringMatching(/state must be one of .*, got "A{39}…$/) });
    expect(err.message).not.toMatch(/[\n\u001b]|forged/);
    expect(err.message.length).toBeLessThan(250);
  });

  it('does not follow redirects: a 3xx is a non-retryable status error', async () => {
    const client = new TargetClient({ timeoutMs: 5_000, outbound: LOOPBACK });
    await expect(client.status({ url: 'x', statusUrl: `http://127.0.0.1:${port}/moved/{{id}}` }, 'r1')).rejects.toMatchObject({
      kind: 'status',
      status: 302,
      retryable: false,
    });
    expect(hits).toEqual(['GET /moved/r1 host=127.0.0.1:' + port]);
  });

  it('refuses a receiver id that would move the status URL to another host or up the path', async () => {
    const client = new TargetClient({ timeoutMs: 5_000, outbound: LOOPBACK });
    await expect(client.status({ url: 'x', statusUrl: `http://127.0.0.1:${port}{{id}}` }, '.evil.example')).rejects.toMatchObject({
      kind: 'config',
      retryable: false,
    });
    await expect(client.status({ url: 'x', statusUrl: `http://127.0.0.1:${port}/status/{{id}}/x` }, '..')).rejects.toMatchObject({
      kind: 'config',
    });
    expect(hits).toEqual([]);
  });
});
