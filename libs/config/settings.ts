import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * Reading settings from environment variables, through one zod schema per process (see
 * loadServiceSettings, loadReceiverSettings). Every setting validates and, on a bad value, the first
 * bad one throws a ConfigError naming the variable, so a process fails fast at start-up.
 */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Invalid setting ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

type Raw = string | undefined;
export type Fail = (problem: string) => never;

/** A setting read from one variable (unset and empty are the same: undefined), its problems said in our words. */
function reader<T>(read: (raw: Raw, fail: Fail) => T) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) =>
      read(raw, (problem) => {
        ctx.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }),
    );
}

function int(raw: string, range: { min?: number; max?: number }, fail: Fail): number {
  if (!/^-?\d+$/.test(raw)) return fail(`expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (range.min !== undefined && value < range.min) return fail(`must be at least ${range.min}, got ${value}`);
  if (range.max !== undefined && value > range.max) return fail(`must be at most ${range.max}, got ${value}`);
  return value;
}

function url(value: string, protocols: string[], fail: Fail): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return fail(`expected a URL, got "${value}"`);
  }
  return protocols.includes(parsed.protocol) ? value : fail(`expected a ${protocols.join(' or ')} URL, got "${value}"`);
}

/** PEM given inline or read from a file; `path` is kept so the file can be read again when it changes. */
export interface Pem {
  text: string;
  path?: string;
}

/** PEM text (a one-line env value may carry its line breaks as `\n`) or the path of a PEM file, checked to hold a certificate or a private key. */
export function readPem(raw: string, kind: 'certificate' | 'key', fail: Fail): Pem {
  const inline = raw.includes('-----BEGIN');
  let text: string;
  if (inline) text = raw.replace(/\\n/g, '\n');
  else {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (error) {
      return fail(
        // A private key pasted without its BEGIN line would be taken for a path: never repeat a key's value.
        `expected PEM text or the path of a PEM file; cannot read ${kind === 'key' ? 'the file it names' : `"${raw}"`} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  }
  const where = inline ? 'the value' : `"${raw}"`;
  try {
    if (kind === 'certificate') new X509Certificate(text);
    else createPrivateKey(text);
  } catch {
    return fail(
      `${where} holds no PEM ${kind === 'certificate' ? 'certificate (-----BEGIN CERTIFICATE-----)' : 'private key (-----BEGIN PRIVATE KEY-----)'}`,
    );
  }
  return inline ? { text } : { text, path: raw };
}

function bool(raw: string, fail: Fail): boolean {
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  return fail(`expected true or false, got "${raw}"`);
}

const PORT = { min: 0, max: 65535 };
const WEB = ['http:', 'https:'];

/** The schema pieces every setting is made of; `fallback` applies when the variable is unset or empty. */
export const setting = {
  optionalString: () => reader((raw) => raw),
  string: (fallback?: string) => reader((raw, fail) => raw ?? fallback ?? fail('is required')),
  int: (fallback: number, range: { min?: number; max?: number } = {}) =>
    reader((raw, fail) => (raw === undefined ? fallback : int(raw, range, fail))),
  port: (fallback: number) => setting.int(fallback, PORT),
  /** Off unless set. */
  optionalPort: () => reader((raw, fail) => (raw === undefined ? undefined : int(raw, PORT, fail))),
  bool: (fallback: boolean) => reader((raw, fail) => (raw === undefined ? fallback : bool(raw, fail))),
  /** Unset: undefined (the caller decides). */
  optionalBool: () => reader((raw, fail) => (raw === undefined ? undefined : bool(raw, fail))),
  /** A certificate or private key as PEM text or the path of a PEM file; off unless set. */
  optionalPem: (kind: 'certificate' | 'key') => reader((raw, fail) => (raw === undefined ? undefined : readPem(raw, kind, fail))),
  url: (fallback?: string, protocols = WEB) => reader((raw, fail) => url(raw ?? fallback ?? fail('is required'), protocols, fail)),
  optionalUrl: (protocols = WEB) => reader((raw, fail) => (raw === undefined ? undefined : url(raw, protocols, fail))),
  /** Durations like "500ms", "30s", "5m", "1h" (or a bare number of milliseconds). */
  durationMs: (fallback: string) =>
    reader((raw, fail) => {
      const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw ?? fallback);
      if (!match) return fail(`expected a duration such as 30s, 5m, 1h or 30d, got "${raw ?? fallback}"`);
      return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms']!;
    }),
  /** Any other reading: `read` gets the raw value (undefined when unset) and says what is wrong through `fail`. */
  custom: <T>(read: (raw: Raw, fail: Fail) => T) => reader(read),
  oneOf: <T extends string>(choices: readonly T[], fallback: T) =>
    reader((raw, fail) =>
      choices.includes((raw ?? fallback) as T)
        ? ((raw ?? fallback) as T)
        : fail(`expected one of ${choices.join(', ')}, got "${raw ?? fallback}"`),
    ),
};

export type SettingsShape = Record<string, z.ZodType<unknown, Raw>>;

/** Reads every variable of the schema from `env`; the first bad one (in the schema's order) throws its ConfigError. */
export function parseSettings<S extends SettingsShape>(shape: S, env: Env = process.env): { [K in keyof S]: z.output<S[K]> } {
  const present = Object.fromEntries(Object.keys(shape).map((name) => [name, env[name] === '' ? undefined : env[name]]));
  const result = z.object(shape).safeParse(present);
  if (result.success) return result.data as { [K in keyof S]: z.output<S[K]> };
  const [first] = result.error.issues;
  throw new ConfigError(String(first.path[0]), first.message);
}

/** One variable at a time, for code that reads a few settings (the dev stack's launcher). */
export class Settings {
  constructor(private readonly env: Env = process.env) {}

  private read<T>(name: string, schema: z.ZodType<T, Raw>): T {
    return parseSettings({ [name]: schema }, this.env)[name];
  }

  optionalString(name: string): string | undefined {
    return this.read(name, setting.optionalString());
  }

  string(name: string, fallback?: string): string {
    return this.read(name, setting.string(fallback));
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    return this.read(name, setting.int(fallback, range));
  }

  port(name: string, fallback: number): number {
    return this.read(name, setting.port(fallback));
  }

  bool(name: string, fallback: boolean): boolean {
    return this.read(name, setting.bool(fallback));
  }

  url(name: string, fallback?: string, protocols = ['http:', 'https:']): string {
    return this.read(name, setting.url(fallback, protocols));
  }

  durationMs(name: string, fallback: string): number {
    return this.read(name, setting.durationMs(fallback));
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    return this.read(name, setting.oneOf(choices, fallback));
  }
}
