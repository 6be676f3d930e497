import fc from 'fast-check';
import { networkInterfaces } from 'node:os';
import { OutboundGuard, TargetError } from '../../libs/targets';
import { Harness, LOCAL_RECEIVERS } from '../support/harness';

/**
 * Security review findings 1, 6 and 11 (docs/reliability.md#security-findings-issue-18-targets-and-outbound-calls), property-based: every spelling of "this machine" and of the
 * metadata address is refused by the outbound guard, and every spelling of the shared default
 * target's host at its port is refused as an app's own target (url or statusUrl) by
 * `PUT /1/apps` — on a stack that allows loopback targets, as `npm start` does.
 */

const byte = fc.integer({ min: 0, max: 255 });
const hex = (n: number, pad = 0) => n.toString(16).padStart(pad, '0');
const caseOf = (text: string) => fc.boolean().map((upper) => (upper ? text.toUpperCase() : text));

/** An IPv4 address in the forms the URL parser takes: dotted, one number, hex, octal, short. */
function ipv4Spellings(a: number, b: number, c: number, d: number): fc.Arbitrary<string> {
  const value = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  return fc.constantFrom(
    `${a}.${b}.${c}.${d}`,
    String(value),
    `0x${hex(value)}`,
    `0x${hex(a)}.0x${hex(b)}.0x${hex(c)}.0x${hex(d)}`,
    `0${a.toString(8)}.0${b.toString(8)}.0${c.toString(8)}.0${d.toString(8)}`,
    `${a}.${(b << 16) + (c << 8) + d}`,
    `${a}.${b}.${(c << 8) + d}`,
  );
}

/** An IPv4 address carried in IPv6: mapped, compatible, SIIT, NAT64 (both prefixes), 6to4; mixed case. */
function ipv6Carrying(a: number, b: number, c: number, d: number): fc.Arbitrary<string> {
  const high = hex((a << 8) | b);
  const low = hex((c << 8) | d);
  return fc
    .constantFrom(
      `::ffff:${a}.${b}.${c}.${d}`,
      `::ffff:${high}:${low}`,
      `0:0:0:0:0:ffff:${high}:${low}`,
      `::${a}.${b}.${c}.${d}`,
      `::${high}:${low}`,
      `::ffff:0:${a}.${b}.${c}.${d}`,
      `64:ff9b::${a}.${b}.${c}.${d}`,
      `64:ff9b::${high}:${low}`,
      `0064:ff9b:0000:0000:0000:0000:${hex((a << 8) | b, 4)}:${hex((c << 8) | d, 4)}`,
      `64:ff9b:1:${high}:${hex(c)}:${hex(d << 8)}::`,
      `2002:${high}:${low}::1`,
    )
    .chain(caseOf);
}

/** Hosts (URL spelling) that reach this machine. */
const localInterfaces = Object.values(networkInterfaces())
  .flatMap((list) => list ?? [])
  .map((i) => i.address.replace(/%.*/, ''));
const thisMachine: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(byte, byte, byte).chain(([b, c, d]) =>
    fc.oneof(
      ipv4Spellings(127, b, c, d),
      ipv6Carrying(127, b, c, d).map((h) => `[${h}]`),
    ),
  ),
  fc.oneof(
    ipv4Spellings(0, 0, 0, 0),
    ipv6Carrying(0, 0, 0, 0).map((h) => `[${h}]`),
  ),
  fc.constantFrom(
    '[::1]',
    '[0:0:0:0:0:0:0:1]',
    '[0000::0001]',
    '[::]',
    '[0::0]',
    '[0:0:0:0:0:0:0:0]',
    '0',
    '127.1',
    'localhost',
    'LOCALHOST',
    'localhost.',
    'LocalHost.',
  ),
  fc.constantFrom(...localInterfaces).map((address) => (address.includes(':') ? `[${address}]` : address)),
);

/** Hosts that reach the metadata service (169.254.169.254) or another link-local address. */
const metadata: fc.Arbitrary<string> = fc.oneof(
  ipv4Spellings(169, 254, 169, 254),
  fc.tuple(byte, byte).chain(([c, d]) =>
    fc.oneof(
      ipv4Spellings(169, 254, c, d),
      ipv6Carrying(169, 254, c, d).map((h) => `[${h}]`),
    ),
  ),
);

const pathAndQuery = fc
  .tuple(
    fc.constantFrom('/push', '/', '/status/{{id}}', '/a/../push', '/push?x=1', '/%70ush', ''),
    fc.constantFrom('', '#frag', '?q={{id}}'),
  )
  .map(([path, tail]) => `${path}${tail}`);

async function refusal(guard: OutboundGuard, url: string): Promise<TargetError | undefined> {
  return guard.check(url).then(
    () => undefined,
    (error: unknown) => error as TargetError,
  );
}

describe('target URLs under every spelling of this machine and the metadata address (property-based)', () => {
  it('are refused by the default outbound guard, at any port, before connecting', async () => {
    const guard = new OutboundGuard();
    await fc.assert(
      fc.asyncProperty(thisMachine, fc.integer({ min: 1, max: 65535 }), pathAndQuery, async (host, port, path) => {
        const url = `http://${host}:${port}${path}`;
        const err = await refusal(guard, url);
        expect([url, err?.kind, err?.message]).toEqual([
          url,
          'config',
          expect.stringMatching(/this machine|is link-local/ /* an interface's fe80:: address is both */),
        ]);
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(metadata, pathAndQuery, async (host, path) => {
        const url = `http://${host}${path}`;
        const err = await refusal(guard, url);
        expect([url, err?.kind, err?.message]).toEqual([url, 'config', expect.stringMatching(/link-local or a cloud metadata address/)]);
      }),
      { numRuns: 300 },
    );
  });

  describe('on a stack whose shared default target is a loopback receiver', () => {
    let harness: Harness;
    const SHARED_PORT = 3100;
    beforeAll(async () => {
      harness = await Harness.start({
        worker: false,
        env: {
          TARGET_ALLOW: LOCAL_RECEIVERS, // as npm start: loopback targets are allowed, so only the shared-target rule stands
          DEFAULT_TARGET_URL: `http://127.0.0.1:${SHARED_PORT}/push`,
          DEFAULT_TARGET_STATUS_URL: `http://127.0.0.1:${SHARED_PORT}/status/{{id}}`,
        },
      });
    });
    afterAll(() => harness.stop());

    it("refuses each as an app's own target url or statusUrl at the shared port (apps:bad_target), and stores nothing", async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          thisMachine,
          pathAndQuery,
          fc.constantFrom('url', 'statusUrl'),
          fc.constantFrom('http', 'https'),
          async (host, path, field, scheme) => {
            const url = `${scheme}://${host}:${SHARED_PORT}${path}`;
            const target = field === 'url' ? { url } : { url: 'https://receiver.example.com/push', statusUrl: url };
            const app = `spelling-${n++}`;
            const answer = await harness.request('PUT', `/1/apps/admin/${app}`, { body: { repository: `octo-org/${app}`, target } });
            expect([url, field, answer.status, answer.json.error]).toEqual([url, field, 400, 'apps:bad_target']);
            expect(answer.json.message).toMatch(/reaches the shared default target/);
          },
        ),
        { numRuns: 250 },
      );
      expect(await harness.db.collection('apps').countDocuments()).toBe(0);
    });
  });
});
