import { ApiClient } from '../api-client';
import { UsageError } from '../errors';
import type { AppView } from './apps';

/** Body of `PATCH /1/apps/:user/:app/env`: the API keeps every variable not named here. */
export interface EnvPatch {
  set?: Record<string, string>;
  unset?: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** `KEY=VALUE` arguments (split at the first `=`; the value may be empty or contain `=`). */
export function parseAssignments(assignments: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of assignments) {
    const equals = assignment.indexOf('=');
    const key = equals < 0 ? assignment : assignment.slice(0, equals);
    if (equals < 0 || !KEY.test(key)) throw new UsageError(`${JSON.stringify(assignment)} is not KEY=VALUE with a KEY like MY_VAR.`);
    env[key] = assignment.slice(equals + 1);
  }
  return env;
}

/**
 * `KEY=VALUE` lines (as in a .env file, read from stdin): blank lines and `#` comments skipped;
 * a value is the rest of its line (it may be empty or contain `=`; no quotes are removed).
 */
export function parseEnvLines(text: string): Record<string, string> {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  if (lines.length === 0) throw new UsageError('stdin held no KEY=VALUE line.');
  return parseAssignments(lines);
}

export function parseKeys(keys: string[]): string[] {
  const bad = keys.find((key) => !KEY.test(key));
  if (bad !== undefined) throw new UsageError(`${JSON.stringify(bad)} is not a variable name like MY_VAR.`);
  return keys;
}

/** The patch that leaves exactly `set`: sets it and removes the other current keys. */
export function replaceEnv(currentKeys: string[], set: Record<string, string>): EnvPatch {
  return { set, unset: currentKeys.filter((key) => !(key in set)) };
}

export function patchEnv(api: ApiClient, appPath: string, patch: EnvPatch): Promise<AppView> {
  return api.patch<AppView>(`${appPath}/env`, patch);
}
