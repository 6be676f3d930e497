import { BlockList, isIP, LookupFunction } from 'node:net';
import { embeddedIPv4, hostOf, interfaceAddresses, isThisMachine, ResolvedAddress, Resolver, systemResolver } from './addresses';
import { OutboundRules, parseOutboundRule } from '../config/outbound-rules';
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
 * `*.example.com` for its subdomains), each optionally with a port (`127.0.0.1:3100`,
 * `[::1]:3100`, `receiver:3100`, `[fd00::/8]:443`): a rule with a port holds only for URLs on that
 * port (the scheme's default when the URL names none), so allowing a loopback receiver does not
 * open every other port of the machine (docs/reliability.md#tenant-isolation-review); a rule
 * without one holds for every port. Precedence: `allow` > `deny` > built-in refusals > allowed.
 * So `deny: ['0.0.0.0/0', '::/0'], allow: ['receiver.example.com']` permits that receiver only.
 */
export interface OutboundPolicy extends OutboundRules {
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

interface RuleSet {
  addresses: BlockList;
  names: string[];
}

/** Rules for every port, and rules that name a port, by port. */
interface Rules {
  anyPort: RuleSet;
  byPort: Map<number, RuleSet>;
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
    const port = portOf(url);
    const refuse = (why: string) =>
      new TargetError(`the target's ${setting} host ${host} is refused: ${why}`, { kind: 'config', retryable: false });
    const nameRule = this.nameVerdict(host, port);
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
        const verdict = this.addressVerdict(address, port, interfaces);
        if (verdict === 'deny') throw refuse(`${address} is on the outbound deny list`);
        if (verdict === 'built-in') throw refuse(`${address} is link-local or a cloud metadata address`);
        // The rule to allow it names the port: allowing the host would open its every port.
        const rule = `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
        if (verdict === 'local')
          throw refuse(
            `${address} is this machine (loopback, unspecified or one of its addresses); allow it with TARGET_ALLOW (${rule} for this port only)`,
          );
        if (verdict === 'private')
          throw refuse(`${address} is in a private network range; allow it with TARGET_ALLOW (${rule} for this port only)`);
      }
    }
    return pinnedLookup(addresses);
  }

  private nameVerdict(host: string, port: number): 'allow' | 'deny' | 'built-in' | undefined {
    if (isIP(host)) return undefined;
    const matches = (rules: Rules) => onPort(rules, port).some((set) => matchesName(set.names, host));
    if (matches(this.allow)) return 'allow';
    if (matches(this.deny)) return 'deny';
    if (matches(this.builtIn)) return 'built-in';
    return undefined;
  }

  /** An IPv6 address carrying an IPv4 one is judged as both: any form allowed wins, then the strictest. */
  private addressVerdict(address: string, port: number, interfaces: Set<string>): Verdict {
    const plain = address.replace(/%.*$/, '');
    const forms = [plain, embeddedIPv4(plain)].filter((form): form is string => form !== undefined);
    const matches = (rules: Rules) =>
      onPort(rules, port).some((set) => forms.some((form) => set.addresses.check(form, isIP(form) === 6 ? 'ipv6' : 'ipv4')));
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
  const compiled: Rules = { anyPort: { addresses: new BlockList(), names: [] }, byPort: new Map() };
  for (const raw of rules) {
    const rule = parseOutboundRule(raw, list);
    let set = compiled.anyPort;
    if (rule.port !== undefined) {
      set = compiled.byPort.get(rule.port) ?? { addresses: new BlockList(), names: [] };
      compiled.byPort.set(rule.port, set);
    }
    if ('address' in rule) set.addresses.addSubnet(rule.address, rule.prefix, rule.family);
    else set.names.push(rule.name);
  }
  return compiled;
}

/** The rule sets that hold for a URL on `port`. */
function onPort(rules: Rules, port: number): RuleSet[] {
  const scoped = rules.byPort.get(port);
  return scoped ? [rules.anyPort, scoped] : [rules.anyPort];
}

/** The port a URL connects to: its own, or its scheme's default. */
function portOf(url: string): number {
  const parsed = new URL(url);
  if (parsed.port !== '') return Number(parsed.port);
  return parsed.protocol === 'https:' ? 443 : 80;
}

function matchesName(rules: string[], host: string): boolean {
  return rules.some((rule) => (rule.startsWith('*.') ? host.endsWith(rule.slice(1)) : host === rule));
}
