/**
 * Reading settings from environment variables. Every reader validates and, on a bad value,
 * throws a ConfigError naming the variable, so a process fails fast at start-up.
 */
export class ConfigError extends Error {
  constructor(readonly setting: string, problem: string) {
    super(`Invalid setting ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

export class Settings {
  constructor(private readonly env: Env = process.env) {}

  optionalString(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback?: string): string {
    const value = this.optionalString(name) ?? fallback;
    if (value === undefined) throw new ConfigError(name, 'is required');
    return value;
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
    const value = Number(raw);
    if (range.min !== undefined && value < range.min) throw new ConfigError(name, `must be at least ${range.min}, got ${value}`);
    if (range.max !== undefined && value > range.max) throw new ConfigError(name, `must be at most ${range.max}, got ${value}`);
    return value;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, { min: 0, max: 65535 });
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optionalString(name);
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    throw new ConfigError(name, `expected true or false, got "${raw}"`);
  }

  url(name: string, fallback?: string, protocols = ['http:', 'https:']): string {
    const value = this.string(name, fallback);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `expected a URL, got "${value}"`);
    }
    if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${value}"`);
    return value;
  }

  /** Durations like "500ms", "30s", "5m", "1h" (or a bare number of milliseconds). */
  durationMs(name: string, fallback: string): number {
    const raw = this.optionalString(name) ?? fallback;
    const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw);
    if (!match) throw new ConfigError(name, `expected a duration such as 30s, 5m, 1h or 30d, got "${raw}"`);
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms']!;
    return Number(match[1]) * unit;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.optionalString(name) ?? fallback;
    if (!choices.includes(raw as T)) throw new ConfigError(name, `expected one of ${choices.join(', ')}, got "${raw}"`);
    return raw as T;
  }
}
