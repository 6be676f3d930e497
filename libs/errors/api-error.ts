/**
 * The one error type of the product: a spec error code, its HTTP status and a sentence for a
 * human. Thrown by services, answered by the gateway's one exception filter, and written to
 * the status log when raised inside a deployment.
 */
export class ApiError extends Error {
  constructor(readonly code: string, readonly status: number, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  uuid: string;
}
