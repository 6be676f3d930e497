import { ApiError, Errors } from '../../libs/errors';
import { DeploymentPackage, PackageRecord, OPERATIONS, Operation } from '../../libs/targets';

/** Ids and app names become file names: one safe alphabet, no leading dot (so `.releases`/`.staging` stay ours). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Validates the `package` part at the edge; every problem is a 400 naming the field. */
export function parsePackage(raw: unknown): DeploymentPackage {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw bad('the package part is not valid JSON');
    }
  }
  const pkg = object(value, 'package');
  const app = object(pkg.app, 'package.app');
  const records = pkg.records ?? [];
  if (!Array.isArray(records)) throw bad('package.records must be an array');
  const op = operation(pkg.operation, 'package.operation');
  let activates: string | undefined;
  if (op === 'ACTIVATE') {
    if (pkg.activates === undefined || pkg.activates === null)
      throw bad('package.activates is required for ACTIVATE: the _doc of the earlier DEPLOY whose release goes live');
    activates = name(pkg.activates, 'package.activates');
  }
  return {
    _doc: name(pkg._doc, 'package._doc'),
    operation: op,
    ...(activates === undefined ? {} : { activates }),
    retain: optional(pkg.retain, 'boolean', 'package.retain') ?? false,
    app: { name: name(app.name, 'package.app.name'), version: optional(app.version, 'string', 'package.app.version') ?? '' },
    commit: optional(pkg.commit, 'string', 'package.commit') ?? '',
    repository: optional(pkg.repository, 'string', 'package.repository') ?? '',
    env: env(pkg.env),
    records: records.map((item, i): PackageRecord => {
      const record = object(item, `package.records[${i}]`);
      const archive = optional(record.archive, 'string', `package.records[${i}].archive`);
      return {
        _doc: optional(record._doc, 'string', `package.records[${i}]._doc`) ?? `${i}`,
        operation:
          record.operation === undefined
            ? operation(pkg.operation, 'package.operation')
            : operation(record.operation, `package.records[${i}].operation`),
        ref: optional(record.ref, 'string', `package.records[${i}].ref`) ?? '',
        ...(archive === undefined ? {} : { archive }),
      };
    }),
  };
}

function bad(message: string): ApiError {
  return ApiError.of(Errors.receiverInvalidPackage, message);
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function name(value: unknown, what: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw bad(`${what} must be 1-128 letters, digits, '.', '_' or '-', not starting with '.'`);
  return value;
}

function operation(value: unknown, what: string): Operation {
  if (!OPERATIONS.includes(value as Operation)) throw bad(`${what} must be one of ${OPERATIONS.join(', ')}`);
  return value as Operation;
}

function optional<T extends 'string' | 'boolean'>(
  value: unknown,
  type: T,
  what: string,
): (T extends 'string' ? string : boolean) | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw bad(`${what} must be a ${type}`);
  return value as T extends 'string' ? string : boolean;
}

function env(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  const vars = object(value, 'package.env');
  for (const [key, v] of Object.entries(vars)) if (typeof v !== 'string') throw bad(`package.env.${key} must be a string`);
  return vars as Record<string, string>;
}
