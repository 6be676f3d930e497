import type { HttpErrorEntry } from './catalogue';

/**
 * The one error type of the product: a spec error code, its HTTP status and a sentence for a
 * human. Thrown by services, answered by the gateway's one exception filter, and written to
 * the status log when raised inside a deployment.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
    /** For a limit that lifts with time: answered as `Retry-After` (seconds). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The catalogue's error: its code and status, its default sentence unless the throw site knows more. */
  static of(
    entry: HttpErrorEntry,
    message: string = entry.message,
    options: { status?: number; details?: Record<string, unknown>; retryAfterSeconds?: number } = {},
  ): ApiError {
    return new ApiError(entry.code, options.status ?? entry.status, message, options.details, options.retryAfterSeconds);
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  uuid: string;
}
