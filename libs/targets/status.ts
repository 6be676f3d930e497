import { shortExcerpt } from './target-error';
import { OPERATIONS, PACKAGE_STATES, PackageStatus, RECORD_STATES, RecordStatus } from './types';

/**
 * The status URL for a remote id: handlebars-style `{{id}}` / `{{ id }}` placeholders are
 * filled (URL-encoded); without one the id becomes the last path segment, keeping any query.
 */
export function statusUrlFor(statusUrl: string, remoteId: string): string {
  const id = encodeURIComponent(remoteId);
  const placeholder = /\{\{\s*id\s*\}\}/g;
  if (statusUrl.match(placeholder)) return statusUrl.replace(placeholder, id);
  const url = new URL(statusUrl);
  url.pathname = `${url.pathname.replace(/\/?$/, '/')}${id}`;
  return url.toString();
}

/** Why a status document breaks the protocol. */
export class StatusShapeError extends Error {}

/**
 * Checks a status answer and returns it typed. Package `_doc`, `state` and `records` and each
 * record's `state` are required; the other fields get the protocol's defaults when missing but
 * must have the right type when present (third-party receivers send "more or less" this shape).
 */
export function parseStatus(value: unknown): PackageStatus {
  const doc = object(value, 'status');
  const records = doc.records;
  if (!Array.isArray(records)) throw new StatusShapeError('records must be an array');
  const operation = optionalOneOf(doc.operation, OPERATIONS, 'operation') ?? 'DEPLOY';
  return {
    _doc: requiredString(doc._doc, '_doc'),
    state: oneOf(doc.state, PACKAGE_STATES, 'state'),
    operation,
    retain: optional(doc.retain, 'boolean', 'retain') ?? false,
    records: records.map((raw, i): RecordStatus => {
      const record = object(raw, `records[${i}]`);
      const state = oneOf(record.state, RECORD_STATES, `records[${i}].state`);
      return {
        _doc: optional(record._doc, 'string', `records[${i}]._doc`) ?? '',
        state,
        operation: optionalOneOf(record.operation, OPERATIONS, `records[${i}].operation`) ?? operation,
        ref: optional(record.ref, 'string', `records[${i}].ref`) ?? '',
        success: optional(record.success, 'boolean', `records[${i}].success`) ?? state === 'FINISHED',
        message: optional(record.message, 'string', `records[${i}].message`) ?? '',
      };
    }),
  };
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StatusShapeError(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function requiredString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new StatusShapeError(`${what} must be a non-empty string`);
  return value;
}

function oneOf<T extends string>(value: unknown, choices: readonly T[], what: string): T {
  if (!choices.includes(value as T))
    throw new StatusShapeError(`${what} must be one of ${choices.join(', ')}, got ${shortExcerpt(JSON.stringify(value) ?? String(value))}`);
  return value as T;
}

function optionalOneOf<T extends string>(value: unknown, choices: readonly T[], what: string): T | undefined {
  return value === undefined || value === null ? undefined : oneOf(value, choices, what);
}

function optional<T extends 'string' | 'boolean'>(
  value: unknown,
  type: T,
  what: string,
): (T extends 'string' ? string : boolean) | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw new StatusShapeError(`${what} must be a ${type}`);
  return value as T extends 'string' ? string : boolean;
}
