import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * What an address is, rather than how it is spelled: the outbound guard and the shared-target
 * rule both decide by these, so `0.0.0.0`, `[::ffff:127.0.0.1]`, `[::127.0.0.1]`,
 * `[64:ff9b::7f00:1]` and this machine's LAN address all count as "this machine".
 */

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** An address's eight 16-bit groups, or undefined when it is not IPv6 (a zone `%eth0` is ignored). */
function ipv6Groups(address: string): number[] | undefined {
  const plain = address.replace(/%.*$/, '');
  if (isIP(plain) !== 6) return undefined;
  let text = plain.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}

const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/**
 * The IPv4 address an IPv6 address carries, when it carries one that a connection would reach:
 * IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, SIIT `::ffff:0:a.b.c.d`, NAT64
 * `64:ff9b::/96` and `64:ff9b:1::/48` (RFC 6052), 6to4 `2002:aabb:ccdd::/16`.
 */
export function embeddedIPv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  if (!g) return undefined;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && (g[5] === 0xffff || g[5] === 0)) return v4(g[6], g[7]);
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return v4(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return v4(g[3], ((g[4] & 0xff) << 8) | (g[5] >> 8)); // bytes 6, 7, 9, 10
  if (g[0] === 0x2002) return v4(g[1], g[2]);
  return undefined;
}

/** One spelling per address: the carried IPv4 for IPv4-in-IPv6, else IPv6 as eight hex groups. */
export function canonicalAddress(address: string): string {
  const inner = embeddedIPv4(address);
  if (inner) return inner;
  const g = ipv6Groups(address);
  return g ? g.map((x) => x.toString(16)).join(':') : address;
}

const LOOPBACK_AND_UNSPECIFIED = new BlockList();
LOOPBACK_AND_UNSPECIFIED.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_AND_UNSPECIFIED.addSubnet('0.0.0.0', 8, 'ipv4'); // a connection to 0.0.0.0 reaches this machine
LOOPBACK_AND_UNSPECIFIED.addAddress('::1', 'ipv6');
LOOPBACK_AND_UNSPECIFIED.addAddress('::', 'ipv6');

/** Every address of this machine's interfaces, read now (interfaces come and go). */
export function interfaceAddresses(): Set<string> {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return new Set(all.map((i) => canonicalAddress(i.address)));
}

/**
 * Whether a connection to `address` stays on this machine: loopback, unspecified, or one of
 * its interfaces' addresses, under any IPv4-in-IPv6 spelling.
 */
export function isThisMachine(address: string, interfaces: Set<string> = interfaceAddresses()): boolean {
  const canonical = canonicalAddress(address);
  const family = isIP(canonical);
  if (family === 0) return false;
  return LOOPBACK_AND_UNSPECIFIED.check(canonical, family === 6 ? 'ipv6' : 'ipv4') || interfaces.has(canonical);
}

/** The URL's host as DNS and BlockList want it: lower case, no IPv6 brackets, no trailing dot. */
export function hostOf(url: string): string {
  return new URL(url).hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** A statusUrl's `{{id}}` filled with a plain id: the placeholder is not part of where it connects. */
export const withSampleId = (url: string) => url.replace(/\{\{\s*id\s*\}\}/g, 'id');

export const systemResolver: Resolver = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Whether two URLs reach the same listener: the same port, and hosts sharing an address, or
 * both reaching this machine (a receiver on 0.0.0.0 answers on every local address). A host
 * that does not resolve shares nothing (callers check again when it is called).
 */
export async function sameEndpoint(a: string, b: string, resolve: Resolver = systemResolver): Promise<boolean> {
  let x: URL;
  let y: URL;
  try {
    [x, y] = [new URL(withSampleId(a)), new URL(withSampleId(b))];
  } catch {
    return false;
  }
  const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');
  if (port(x) !== port(y)) return false;
  const [hx, hy] = [hostOf(x.href), hostOf(y.href)];
  if (hx === hy) return true;
  const addresses = async (host: string) =>
    (isIP(host) ? [host] : (await resolve(host).catch(() => [] as ResolvedAddress[])).map((r) => r.address)).map(canonicalAddress);
  const [ax, ay] = await Promise.all([addresses(hx), addresses(hy)]);
  const interfaces = interfaceAddresses();
  const local = (list: string[]) => list.some((address) => isThisMachine(address, interfaces));
  return ax.some((address) => ay.includes(address)) || (local(ax) && local(ay));
}

/** Whether `url` reaches the listener of the target's url or of its statusUrl. */
export async function reachesTarget(url: string, target: { url: string; statusUrl?: string }, resolve?: Resolver): Promise<boolean> {
  for (const endpoint of [target.url, target.statusUrl])
    if (endpoint !== undefined && (await sameEndpoint(url, endpoint, resolve))) return true;
  return false;
}
