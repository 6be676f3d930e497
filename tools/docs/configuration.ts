import { loadReceiverSettings } from '../../apps/receiver/receiver-options';
import { ConfigError, Env, loadServiceSettings } from '../../libs/config';
import { headings } from './markdown';

/**
 * What docs/configuration.md is checked against: the variables each settings schema reads, taken
 * from the schema itself by running its loader over an environment that records every name asked
 * for, and the environment variables the rest of the code reads (the dev stack, the CLI), found in
 * its source.
 */
export const CONFIGURATION_DOC = 'docs/configuration.md';

/** The names `load` reads from its environment (all unset; a ConfigError for a required one ends it, after the reads). */
export function variablesRead(load: (env: Env) => unknown): string[] {
  const names = new Set<string>();
  const env = new Proxy<Env>(
    {},
    {
      get: (_target, name) => {
        if (typeof name === 'string') names.add(name);
        return undefined;
      },
    },
  );
  try {
    load(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  return [...names].sort();
}

/** The gateway's and the worker's variables: loadServiceSettings's schema (libs/config/service-settings.ts). */
export const appVariables = () => variablesRead(loadServiceSettings);

/** The reference receiver's: loadReceiverSettings (apps/receiver/receiver-options.ts). */
export const receiverVariables = () => variablesRead(loadReceiverSettings);

/**
 * Environment variables a source file reads outside the schemas: `process.env.NAME`, `env.NAME`,
 * `env['NAME']`, a settings reader's `settings.port('NAME', …)`, and the CLI's `*_ENV = 'NAME'`.
 */
export function variablesInSource(text: string): string[] {
  const patterns = [
    /\benv(?:\.|\[['"])([A-Z][A-Z0-9_]+)/g,
    /\b(?:settings|s)\.[a-zA-Z]+\(\s*'([A-Z][A-Z0-9_]+)'/g,
    /\b[A-Z_]+_ENV\s*=\s*'([A-Z][A-Z0-9_]+)'/g,
  ];
  return [...new Set(patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1])))].sort();
}

/**
 * Literal defaults in a schema's source: `NAME: setting.durationMs('30s')`, `setting.int(20, …)`,
 * `setting.oneOf([…] as const, 'dir')`, and the receiver's `s.int('NAME', 100_000, …)`. Defaults
 * computed from other values are not listed.
 */
export function literalDefaults(source: string): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /^\s*([A-Z][A-Z0-9_]+): setting\.(?:string|url|durationMs|oneOf|int|port)\((?:\[[^\]]*\] as const, )?(?:'([^']*)'|(\d[\d_]*)\s*[,)])/gm,
    /\bs\.(?:string|url|durationMs|oneOf|int|port)\(\s*'([A-Z][A-Z0-9_]+)',\s*(?:'([^']*)'|(\d[\d_]*)\s*[,)])/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.set(match[1], match[2] ?? match[3].replace(/_/g, ''));
  return found;
}

export interface DocRow {
  variables: string[];
  defaults: string;
  line: number;
}

/** The rows of the first table under the `## <section>` heading: the variables named in the first cell, and the second cell. */
export function sectionTable(markdown: string, section: string): DocRow[] {
  const lines = markdown.split('\n');
  const all = headings(markdown);
  const start = all.find((heading) => heading.level === 2 && heading.text === section);
  if (!start) throw new Error(`${CONFIGURATION_DOC} has no section "## ${section}"`);
  const next = all.find((heading) => heading.line > start.line && heading.level <= 2);
  const rows: DocRow[] = [];
  for (let index = start.line; index < (next ? next.line - 1 : lines.length); index++) {
    const cells = /^\|(.*)\|\s*$/.exec(lines[index])?.[1].split(/(?<!\\)\|/);
    if (!cells || cells.length < 2 || /^\s*-+\s*$/.test(cells[0])) continue;
    const variables = [...cells[0].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]);
    if (variables.length > 0) rows.push({ variables, defaults: cells[1].trim(), line: index + 1 });
  }
  return rows;
}

/** "missing from the doc: A, B; documented but not read: C" for two sets of names, or undefined when they are equal. */
export function difference(read: readonly string[], documented: readonly string[]): string | undefined {
  const missing = read.filter((name) => !documented.includes(name));
  const extra = documented.filter((name) => !read.includes(name));
  const parts = [
    missing.length > 0 && `read but missing from the table: ${missing.join(', ')}`,
    extra.length > 0 && `in the table but read by nothing: ${extra.join(', ')}`,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : undefined;
}
