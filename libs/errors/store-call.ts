import { ApiError } from './api-error';
import type { HttpErrorEntry } from './catalogue';

export interface StoreFailure {
  /** Logged with the cause's message (`<log>: <cause>`); absent: not logged. */
  log?: string;
  logger?: { error(message: string): void };
  /** The answer's sentence; default: the entry's. */
  message?: string | ((cause: Error) => string);
}

/**
 * A store call (MongoDB) whose failure the API answers with the entry's error (`*:db:failed`
 * and kin): the cause is logged, never shown beyond what `message` quotes.
 */
export async function storeCall<T>(entry: HttpErrorEntry, operation: () => Promise<T>, failure: StoreFailure = {}): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    const cause = error as Error;
    if (failure.log) failure.logger?.error(`${failure.log}: ${cause?.message}`);
    throw ApiError.of(entry, typeof failure.message === 'function' ? failure.message(cause) : failure.message);
  }
}
