/** A mistake in the invocation (or missing login): exit 2, with a pointer to --help. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** An error answered by the gateway (`{error, message, uuid}`) or reaching it: exit 1. */
export class ApiFailure extends Error {
  readonly exitCode = 1;

  constructor(
    readonly code: string,
    message: string,
    readonly uuid?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The API answers 404 with this code for an app that does not exist yet. */
export function isNotFound(error: unknown, code: string): boolean {
  return error instanceof ApiFailure && error.code === code;
}
