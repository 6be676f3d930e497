/**
 * The one error a receiver call fails with. `retryable` is the decision the workflow's retry
 * policy follows:
 * - network failures (reset, refused, DNS, socket hang-up), idle timeouts, 408, 429 and 5xx: true;
 * - any other status (4xx, 3xx), a 2xx whose body breaks the protocol (not JSON, no `_doc`, bad
 *   status shape), a bad target configuration, a rejected archive, a cancelled call: false —
 *   repeating them yields the same answer, and a receiver that answers 200 with garbage is
 *   misconfigured, not busy.
 */
export type TargetErrorKind = 'status' | 'network' | 'timeout' | 'malformed' | 'config' | 'archive' | 'aborted';

export interface TargetErrorDetails {
  kind: TargetErrorKind;
  retryable: boolean;
  status?: number;
  /** At most BODY_EXCERPT_CHARS of the receiver's answer, secrets scrubbed. */
  bodyExcerpt?: string;
  cause?: unknown;
}

export const BODY_EXCERPT_CHARS = 500;

export class TargetError extends Error {
  readonly kind: TargetErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly bodyExcerpt?: string;

  constructor(message: string, details: TargetErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TargetError';
    this.kind = details.kind;
    this.retryable = details.retryable;
    this.status = details.status;
    this.bodyExcerpt = details.bodyExcerpt;
  }
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Removes credentials from a URL before it goes into a message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/** Cuts a body down to an excerpt and blanks any secret (password, Basic token) it echoes. */
export function excerpt(text: string, secrets: string[]): string {
  let out = text;
  // Scrub before cutting, so a secret straddling the cut cannot leak in part.
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return shortExcerpt(out, BODY_EXCERPT_CHARS);
}

/** Receiver content quoted in a message: printable ASCII only (no line breaks or escapes to forge log lines), cut short. */
export const MESSAGE_EXCERPT_CHARS = 40;

export function shortExcerpt(text: string, max = MESSAGE_EXCERPT_CHARS): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
