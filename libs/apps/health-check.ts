import { ApiError, Errors } from '../errors';
import type { HealthCheckPlan } from '../../workflows/types';

/**
 * An app's `healthCheck` as stored and shown (docs/contract.md#verified-releases): durations as
 * written (`10s`, `2m`), every default filled in.
 */
export interface HealthCheck {
  url: string;
  /** One status (`200`) or a range (`200-399`). */
  expectStatus: string;
  bodyIncludes?: string;
  interval: string;
  timeout: string;
  failureThreshold: number;
  bake: string;
  initialDelay: string;
}

export const HEALTH_CHECK_DEFAULTS = {
  expectStatus: '200-399',
  interval: '10s',
  timeout: '5s',
  failureThreshold: 3,
  bake: '2m',
  initialDelay: '0s',
} as const;

/**
 * The bounds of a health check: a bake is durable timers and one short activity per probe, so
 * its history grows with bake / interval; these keep it under HEALTH_MAX_PROBES probes.
 */
export const HEALTH_CHECK_LIMITS = {
  intervalMs: { min: 1_000, max: 10 * 60_000 },
  timeoutMs: { min: 500, max: 60_000 },
  failureThreshold: { min: 1, max: 20 },
  bakeMs: { min: 0, max: 2 * 60 * 60_000 },
  initialDelayMs: { min: 0, max: 30 * 60_000 },
  probes: 1000,
  bodyIncludesLength: 200,
  urlLength: 2048,
};

const DURATION = /^(\d{1,7})(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

const refuse = (message: string) => ApiError.of(Errors.appsBadHealthCheck, `healthCheck.${message}`);

/** `10s` → 10000; undefined when it is not a duration. */
export function durationMs(value: string): number | undefined {
  const match = DURATION.exec(value);
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

function statusRange(value: string): [number, number] | undefined {
  const match = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/.exec(value);
  if (!match) return undefined;
  const range: [number, number] = [Number(match[1]), Number(match[2] ?? match[1])];
  return range[0] <= range[1] ? range : undefined;
}

function duration(body: Record<string, unknown>, field: 'interval' | 'timeout' | 'bake' | 'initialDelay'): string {
  const value = body[field] ?? HEALTH_CHECK_DEFAULTS[field];
  const text = typeof value === 'number' ? `${value}ms` : typeof value === 'string' ? value : undefined;
  const ms = text === undefined ? undefined : durationMs(text);
  const { min, max } = HEALTH_CHECK_LIMITS[`${field}Ms`];
  if (text === undefined || ms === undefined) throw refuse(`${field} must be a duration such as 10s, 2m or 1h.`);
  if (ms < min || ms > max) throw refuse(`${field} must be between ${min / 1000} s and ${max / 1000} s; ${text} is not.`);
  return text;
}

/**
 * Checks a `healthCheck` of PUT /1/apps and fills in its defaults; `apps:bad_health_check` names
 * the field. The URL's outbound rules are checked by the caller (the same as the target's).
 */
export function checkHealthCheck(value: unknown): HealthCheck | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw ApiError.of(Errors.appsBadHealthCheck, 'healthCheck must be an object.');
  const body = value as Record<string, unknown>;
  const known = new Set(['url', 'expectStatus', 'bodyIncludes', 'interval', 'timeout', 'failureThreshold', 'bake', 'initialDelay']);
  const unknown = Object.keys(body).find((key) => !known.has(key));
  if (unknown) throw refuse(`${unknown.slice(0, 40)} is not a setting of a health check.`);
  const url = body.url;
  if (typeof url !== 'string' || url.length > HEALTH_CHECK_LIMITS.urlLength || !/^https?:\/\/[^/?#\s]+/i.test(url))
    throw refuse('url must be an http(s) URL of at most 2048 characters.');
  if (/^https?:\/\/[^/?#]*@/i.test(url)) throw refuse('url must not carry credentials.');
  const expect = body.expectStatus ?? HEALTH_CHECK_DEFAULTS.expectStatus;
  const expectStatus = typeof expect === 'number' ? String(expect) : expect;
  if (typeof expectStatus !== 'string' || !statusRange(expectStatus))
    throw refuse('expectStatus must be a status (200) or a range (200-399) of statuses 100 to 599.');
  const bodyIncludes = body.bodyIncludes;
  if (
    bodyIncludes !== undefined &&
    (typeof bodyIncludes !== 'string' || bodyIncludes.length === 0 || bodyIncludes.length > HEALTH_CHECK_LIMITS.bodyIncludesLength)
  )
    throw refuse(`bodyIncludes must be text of 1 to ${HEALTH_CHECK_LIMITS.bodyIncludesLength} characters.`);
  const threshold = body.failureThreshold ?? HEALTH_CHECK_DEFAULTS.failureThreshold;
  const { min, max } = HEALTH_CHECK_LIMITS.failureThreshold;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < min || threshold > max)
    throw refuse(`failureThreshold must be a whole number from ${min} to ${max}.`);
  const check: HealthCheck = {
    url,
    expectStatus,
    ...(bodyIncludes !== undefined ? { bodyIncludes } : {}),
    interval: duration(body, 'interval'),
    timeout: duration(body, 'timeout'),
    failureThreshold: threshold,
    bake: duration(body, 'bake'),
    initialDelay: duration(body, 'initialDelay'),
  };
  const plan = healthCheckPlan(check);
  if (plan.timeoutMs > plan.intervalMs) throw refuse(`timeout (${check.timeout}) must not be longer than interval (${check.interval}).`);
  if (plan.bakeMs / plan.intervalMs > HEALTH_CHECK_LIMITS.probes)
    throw refuse(`bake / interval must be at most ${HEALTH_CHECK_LIMITS.probes} probes; ${check.bake} every ${check.interval} is more.`);
  return check;
}

/** The health check as the deployment runs it: durations in milliseconds. */
export function healthCheckPlan(check: HealthCheck): HealthCheckPlan {
  return {
    url: check.url,
    expectStatus: statusRange(check.expectStatus)!,
    ...(check.bodyIncludes !== undefined ? { bodyIncludes: check.bodyIncludes } : {}),
    intervalMs: durationMs(check.interval)!,
    timeoutMs: durationMs(check.timeout)!,
    failureThreshold: check.failureThreshold,
    bakeMs: durationMs(check.bake)!,
    initialDelayMs: durationMs(check.initialDelay)!,
  };
}
