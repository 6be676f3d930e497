import { isIP } from 'node:net';

/**
 * TARGET_ALLOW / TARGET_DENY: which hosts the worker may call. The rules' syntax is the settings'
 * (checked at start-up, a bad rule named with its setting); libs/targets' outbound guard
 * compiles them and applies them at every call.
 */
export interface OutboundRules {
  allow?: string[];
  deny?: string[];
}

/** One rule: an address or CIDR, or a host name (`*.` for its subdomains); `port`: it holds for that port only. */
export type OutboundRule = { address: string; prefix: number; family: 'ipv4' | 'ipv6'; port?: number } | { name: string; port?: number };

/** Splits a `TARGET_ALLOW` / `TARGET_DENY` style setting: comma or whitespace separated. */
export function parseRuleList(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((rule) => rule !== '');
}

/** Reads one rule of the `list` (allow, deny, built-in); throws an Error naming the bad rule. */
export function parseOutboundRule(raw: string, list: string): OutboundRule {
  const { rule, port } = splitPort(raw.trim().toLowerCase(), raw, list);
  const [base, bits, extra] = rule.replace(/^\[(.*)\]/, '$1').split('/');
  const family = isIP(base);
  if (family !== 0 && extra === undefined) {
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= max)) throw new Error(`outbound ${list} rule ${JSON.stringify(raw)}: bad prefix length`);
    return { address: base, prefix, family: family === 4 ? 'ipv4' : 'ipv6', port };
  }
  if (/^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/.test(rule))
    return { name: rule.replace(/\.$/, ''), port };
  throw new Error(`outbound ${list} rule ${JSON.stringify(raw)} is neither an address, a CIDR nor a host name, with an optional :port`);
}

/**
 * A rule's port, when it names one: `[v6 or v6 CIDR]:port`, or `host:port` / `v4:port` /
 * `v4/len:port` (one colon). An IPv6 address names a port only in brackets: `::1` is an address.
 */
function splitPort(rule: string, raw: string, list: string): { rule: string; port?: number } {
  const match = /^(\[[^\]]*\]|[^:]*):(\d*)$/.exec(rule);
  if (!match) return { rule };
  const port = /^\d{1,5}$/.test(match[2]) ? Number(match[2]) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new Error(`outbound ${list} rule ${JSON.stringify(raw)}: bad port (1 to 65535)`);
  return { rule: match[1], port };
}
