import { MongoError, MongoServerError } from 'mongodb';

export function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * A failure of the store itself (unreachable, timed out, refused), not of what was asked of it:
 * a driver error other than a duplicate key, or a service's `*:db:*` answer to one.
 */
export function isStoreFailure(error: unknown): boolean {
  if (error instanceof MongoError) return !isDuplicateKey(error);
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && error.name === 'ApiError' && typeof code === 'string' && /:db:/.test(code);
}
