import { parseArgs } from 'node:util';
import type { ApiClient } from './api-client';
import type { ConfigStore, Session } from './config-store';
import { UsageError } from './errors';
import type { Output } from './output';

export interface OptionSpec {
  type: 'string' | 'boolean';
  help: string;
  /** Placeholder shown in help, e.g. `<url>`. */
  value?: string;
  short?: string;
  multiple?: boolean;
  /** Left out of --help: for tests and debugging. */
  hidden?: boolean;
}

export type Flags = Record<string, string | boolean | string[] | undefined>;

/** What a command gets to work with; built once by main, replaced in unit tests. */
export interface Context {
  out: Output;
  store: ConfigStore;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  readStdin(): Promise<string>;
  /** The logged-in session and a client for it; a UsageError when not logged in. */
  connect(): Promise<{ api: ApiClient; session: Session }>;
}

export interface CommandSpec {
  /** One or two words: `login`, `apps set`. */
  name: string;
  args?: string;
  summary: string;
  details?: string;
  options?: Record<string, OptionSpec>;
  /** Minimum and maximum positional arguments. */
  positionals: [number, number];
  run(ctx: Context, args: string[], flags: Flags): Promise<void>;
}

const COMMON: Record<string, OptionSpec> = {
  json: { type: 'boolean', help: 'print the raw JSON the API answered' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** The command named by the first one or two words of argv, and the rest of argv. */
export function findCommand(commands: CommandSpec[], argv: string[]): { command?: CommandSpec; group?: string; rest: string[] } {
  const two = commands.find((command) => command.name === `${argv[0]} ${argv[1]}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = commands.find((command) => command.name === argv[0]);
  if (one) return { command: one, rest: argv.slice(1) };
  const group = commands.some((command) => command.name.startsWith(`${argv[0]} `)) ? argv[0] : undefined;
  return { group, rest: argv.slice(1) };
}

/** Strict parsing: an unknown option or a missing value is a usage error, never ignored. */
export function parse(command: CommandSpec, argv: string[]): { args: string[]; flags: Flags } {
  const options = Object.fromEntries(
    // parseArgs rejects keys it knows set to undefined, so copy only what is there.
    Object.entries({ ...command.options, ...COMMON }).map(([name, { type, short, multiple }]) => [
      name,
      { type, ...(short && { short }), ...(multiple && { multiple }) },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Node appends advice about `--` to unknown options; the first sentence is the useful part.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, '.'));
  }
  const args = parsed.positionals;
  if (!parsed.values.help) {
    const [min, max] = command.positionals;
    if (args.length < min) throw new UsageError(`${command.name} needs ${command.args ?? 'arguments'}.`);
    if (args.length > max)
      throw new UsageError(`${command.name} takes ${max === 0 ? 'no arguments' : `at most ${max}`}, got: ${args.slice(max).join(' ')}`);
  }
  return { args, flags: parsed.values as Flags };
}

export function commandHelp(command: CommandSpec): string {
  const lines = [`Usage: deployctl ${command.name}${command.args ? ` ${command.args}` : ''} [options]`, '', command.summary];
  if (command.details) lines.push('', command.details);
  const rows = Object.entries({ ...command.options, ...COMMON })
    .filter(([, option]) => !option.hidden)
    .map(([name, option]) => [
      `${option.short ? `-${option.short}, ` : '    '}--${name}${option.value ? ` ${option.value}` : ''}`,
      option.help + (option.multiple ? ' (repeatable)' : ''),
    ]);
  const width = Math.max(...rows.map(([left]) => left.length));
  lines.push('', 'Options:', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`));
  return lines.join('\n');
}

export function overview(commands: CommandSpec[], group?: string): string {
  const shown = commands.filter((command) => !group || command.name.startsWith(`${group} `));
  const width = Math.max(...shown.map((command) => `${command.name} ${command.args ?? ''}`.length));
  return [
    `Usage: deployctl ${group ?? '<command>'}${group ? ' <command>' : ''} [options]`,
    '',
    'Commands:',
    ...shown.map((command) => `  ${`${command.name} ${command.args ?? ''}`.padEnd(width)}  ${command.summary}`),
    '',
    `Run "deployctl ${group ? `${group} ` : ''}<command> --help" for a command's options.`,
  ].join('\n');
}

export function str(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The options of a secret: `--<name>-stdin` reads it from stdin (one trailing newline dropped).
 * `--<name> <value>` stays known only to be refused: a command line is readable by every user of
 * the machine (`ps`, /proc/<pid>/cmdline) and lands in shell history, so the CLI never takes a
 * secret there (docs/reliability.md#tenant-isolation-review).
 */
export function secretOptions(name: string, help: string, env?: string): Record<string, OptionSpec> {
  return {
    [name]: { type: 'string', help: `refused: use --${name}-stdin`, hidden: true },
    [`${name}-stdin`]: { type: 'boolean', help: `${help}, read from stdin${env ? ` (or from $${env})` : ''}` },
  };
}

/**
 * A secret declared with secretOptions: from stdin with `--<name>-stdin`, else from the
 * environment variable `env` (unset or empty: none); undefined when not given.
 */
export async function readSecret(ctx: Context, flags: Flags, name: string, env?: string): Promise<string | undefined> {
  if (str(flags, name) !== undefined) {
    throw new UsageError(
      `--${name} takes no value on the command line, where other users of this machine can read it (ps) and your shell ` +
        `history keeps it: pipe it to --${name}-stdin${env ? ` or set $${env}` : ''} instead.`,
    );
  }
  if (!flags[`${name}-stdin`]) return env && ctx.env[env] ? ctx.env[env] : undefined;
  const fromStdin = Object.keys(flags).filter((flag) => flag.endsWith('-stdin') && flags[flag] === true);
  if (fromStdin.length > 1)
    throw new UsageError(
      `Only one secret can come from stdin, not ${fromStdin.map((flag) => `--${flag}`).join(' and ')}: give one per command.`,
    );
  const value = (await ctx.readStdin()).replace(/\r?\n$/, '');
  if (value === '') throw new UsageError(`--${name}-stdin read nothing from stdin.`);
  return value;
}

export function list(flags: Flags, name: string): string[] {
  const value = flags[name];
  return Array.isArray(value) ? value : [];
}

/** A whole number within bounds, for options like --limit. */
export function integer(flags: Flags, name: string, fallback: number, min: number, max: number): number {
  const raw = str(flags, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}.`);
  return Number(raw);
}

/** The API's answer as raw JSON with --json, else as lines for people. */
export function reply<T>(ctx: Context, flags: Flags, value: T, human: (value: T) => string | string[]): void {
  if (flags.json) return ctx.out.json(value);
  const text = human(value);
  ctx.out.lines(Array.isArray(text) ? text : [text]);
}
