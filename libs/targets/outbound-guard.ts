import { BlockList, isIP, LookupFunction } from 'node:net';
import { embeddedIPv4, hostOf, interfaceAddresses, isThisMachine, ResolvedAddress, Resolver, systemResolver } from './addresses';
import { TargetError } from './target-error';

export { hostOf };
export type { ResolvedAddress };

/**
 * Outbound safety for calls to deployment receivers: a target URL is user input, so before each
 * request its host is resolved (every address) and checked, and the request then connects to
 * exactly the checked addresses (no second DNS answer can rebind it).
 *
 * Built in, refused unless allowed: link-local addresses (169.254.0.0/16, fe80::/10, which hold
 * the cloud metadata services), the AWS IPv6 metadata address and the metadata host names; this
 * machine (loopback, unspecified, its interfaces' addresses) and private ranges (10/8, 172.16/12,
 * 192.168/16, 100.64/10, fc00::/7, fec0::/10), whose ports a target must not probe. `npm start`
 * and the tests allow their own loopback receiver (TARGET_ALLOW). An IPv6 address carrying an
 * IPv4 one (`::ffff:a.b.c.d`, `::a.b.c.d`, `64:ff9b::/96`, …) is judged as both.
 *
 * Rules are CIDRs (`10.0.0.0/8`, `fd00::/8`), single addresses, or host names (`receiver.example.com`,
 * `*.example.com` for its subdomains). Precedence: `allow` > `deny` > built-in refusals > allowed.
 * So `deny: ['0.0.0.0/0', '::/0'], allow: ['receiver.example.com']` permits that receiver only.
 */
export interface OutboundPolicy {
  allow?: string[];
  deny?: string[];
  /** Resolver, for tests; default `dns.promises.lookup` with `all: true`. */
  resolve?: (host: string) => Promise<ResolvedAddress[]>;
}

export const BUILT_IN_DENY = [
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::254',
  'metadata.google.internal',
  '*.metadata.google.internal',
  'metadata.goog',
  'metadata',
];

/** Refused unless allowed, like BUILT_IN_DENY, but named as what they are in the refusal. */
export const BUILT_IN_PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fec0::/10'];

type Verdict = 'allow' | 'deny' | 'built-in' | 'local' | 'private' | undefined;

interface Rules {
  addresses: BlockList;
  names: string[];
}

/** Splits a `TARGET_ALLOW` / `TARGET_DENY` style setting: comma or whitespace separated. */
export function parseRuleList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((rule) => rule !== '');
}

export class OutboundGuard {
  private readonly allow: Rules;
  private readonly deny: Rules;
  private readonly builtIn: Rules;
  private readonly privateRanges: Rules;
  private readonly resolver: Resolver;

  /** Throws an Error naming the bad rule when a list entry is neither a CIDR, an address nor a host name. */
  constructor(policy: OutboundPolicy = {}) {
    this.allow = compile(policy.allow ?? [], 'allow');
    this.deny = compile(policy.deny ?? [], 'deny');
    this.builtIn = compile(BUILT_IN_DENY, 'built-in');
    this.privateRanges = compile(BUILT_IN_PRIVATE, 'built-in');
    this.resolver = policy.resolve ?? systemResolver;
  }

  /**
   * Resolves the URL's host and checks every address; resolves with a `lookup` for http.request
   * that answers only those addresses. Refusals are non-retryable TargetErrors (kind `config`);
   * a failed resolution is a retryable network error like any other.
   */
  async check(url: string, setting = 'url'): Promise<LookupFunction> {
    const host = hostOf(url);
    const refuse = (why: string) =>
      new TargetError(`the target's ${setting} host ${host} is refused: ${why}`, { kind: 'config', retryable: false });
    const nameRule = this.nameVerdict(host);
    if (nameRule === 'deny') throw refuse('its name is on the outbound deny list');
    if (nameRule === 'built-in') throw refuse('it names a cloud metadata service');

    let addresses: ResolvedAddress[];
    try {
      addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await this.resolver(host);
    } catch (err) {
      throw new TargetError(
        `the target's ${setting} host ${host} could not be resolved: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        {
          kind: 'network',
          retryable: true,
          cause: err,
        },
      );
    }
    if (addresses.length === 0)
      throw new TargetError(`the target's ${setting} host ${host} has no address`, { kind: 'network', retryable: true });
    if (nameRule !== 'allow') {
      const interfaces = interfaceAddresses();
      for (const { address } of addresses) {
        const verdict = this.addressVerdict(address, interfaces);
        if (verdict === 'deny') throw refuse(`${address} is on the outbound deny list`);
        if (verdict === 'built-in') throw refuse(`${address} is link-local or a cloud metadata address`);
        if (verdict === 'local')
          throw refuse(`${address} is this machine (loopback, unspecified or one of its addresses); allow it with TARGET_ALLOW`);
        if (verdict === 'private') throw refuse(`${address} is in a private network range; allow it with TARGET_ALLOW`);
      }
    }
    return pinnedLookup(addresses);
  }

  private nameVerdict(host: string): 'allow' | 'deny' | 'built-in' | undefined {
    if (isIP(host)) return undefined;
    if (matchesName(this.allow.names, host)) return 'allow';
    if (matchesName(this.deny.names, host)) return 'deny';
    if (matchesName(this.builtIn.names, host)) return 'built-in';
    return undefined;
  }

  /** An IPv6 address carrying an IPv4 one is judged as both: any form allowed wins, then the strictest. */
  private addressVerdict(address: string, interfaces: Set<string>): Verdict {
    const plain = address.replace(/%.*$/, '');
    const forms = [plain, embeddedIPv4(plain)].filter((form): form is string => form !== undefined);
    const matches = (rules: Rules) => forms.some((form) => rules.addresses.check(form, isIP(form) === 6 ? 'ipv6' : 'ipv4'));
    if (matches(this.allow)) return 'allow';
    if (matches(this.deny)) return 'deny';
    if (matches(this.builtIn)) return 'built-in';
    if (isThisMachine(plain, interfaces)) return 'local';
    if (matches(this.privateRanges)) return 'private';
    return undefined;
  }
}

/** An http.request `lookup` answering only the checked addresses (both call styles: `all` or one). */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean; family?: number }, callback: (...args: unknown[]) => void) => {
    const wanted = options?.family === 4 || options?.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    const usable = wanted.length > 0 ? wanted : addresses;
    if (options?.all) return callback(null, usable);
    callback(null, usable[0].address, usable[0].family);
  }) as LookupFunction;
}

function compile(rules: string[], list: string): Rules {
  const addresses = new BlockList();
  const names: string[] = [];
  for (const raw of rules) {
    const rule = raw.trim().toLowerCase();
    const [base, bits, extra] = rule.replace(/^\[(.*)\]/, '$1').split('/');
    const family = isIP(base);
    if (family !== 0 && extra === undefined) {
      const max = family === 4 ? 32 : 128;
      const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (!(prefix >= 0 && prefix <= max)) throw new Error(`outbound ${list} rule ${JSON.stringify(raw)}: bad prefix length`);
      addresses.addSubnet(base, prefix, family === 4 ? 'ipv4' : 'ipv6');
    } else if (/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(rule)) {
      names.push(rule.replace(/\.$/, ''));
    } else {
      throw new Error(`outbound ${list} rule ${JSON.stringify(raw)} is neither an address, a CIDR nor a host name`);
    }
  }
  return { addresses, names };
}

function matchesName(rules: string[], host: string): boolean {
  return rules.some((rule) => (rule.startsWith('*.') ? host.endsWith(rule.slice(1)) : host === rule));
}
