import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { TarballRejected } from '../tarballs/safety';
import { CallOptions } from './types';
import { TargetError, redactUrl } from './target-error';

export interface HttpCall extends CallOptions {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** A stream is relayed into the request as it is read, never buffered. */
  body?: Readable | string;
  /** Bigger answers are cut off (and then fail to parse): a receiver cannot exhaust our memory. */
  maxResponseBytes: number;
  /** Answers DNS for this request: the addresses the outbound guard checked (no rebinding). */
  lookup?: LookupFunction;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One HTTP exchange with a receiver or a notification subscriber over undici, every failure
 * turned into a TargetError classified for retries. Redirects are never followed: a 3xx is
 * answered as it is (and the client makes it a non-retryable status error), so a receiver cannot
 * send us past the guard. Once an answer has arrived it wins over later socket errors: a receiver
 * may answer 401 or 413 and close while we are still uploading.
 */
export async function httpCall(call: HttpCall): Promise<HttpAnswer> {
  const where = `${call.method} ${redactUrl(call.url)}`;
  const timeoutMs = call.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (call.signal?.aborted) {
    if (call.body instanceof Readable) call.body.destroy();
    throw new TargetError(`${where} was cancelled`, { kind: 'aborted', retryable: false });
  }
  const deadline = call.deadlineMs === undefined ? undefined : AbortSignal.timeout(call.deadlineMs);
  // Idle means no byte sent or received. undici's headersTimeout skips a request whose body is still
  // being written (a slow upload, or one the receiver stopped reading), so one timer of ours
  // covers both directions; undici's own are off.
  const idle = new AbortController();
  const idleTimer = setTimeout(() => idle.abort(), timeoutMs);
  const progress = () => void idleTimer.refresh();
  const signals = [call.signal, deadline, idle.signal].filter((signal): signal is AbortSignal => signal !== undefined);
  // One agent per call: its lookup answers only the addresses the outbound guard checked for this URL.
  const agent = new Agent({ connect: { timeout: 0, ...(call.lookup ? { lookup: call.lookup } : {}) }, headersTimeout: 0, bodyTimeout: 0 });
  let archiveFault: unknown;
  const body = call.body instanceof Readable ? relay(call.body, progress, (err) => (archiveFault = err)) : call.body;
  let answer: { status: number; chunks: Buffer[]; size: number } | undefined;
  try {
    const res = await request(call.url, {
      dispatcher: agent,
      method: call.method,
      headers: call.headers,
      body,
      signal: AbortSignal.any(signals),
    });
    progress();
    answer = { status: res.statusCode, chunks: [], size: 0 };
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      progress();
      answer.chunks.push(chunk.subarray(0, call.maxResponseBytes - answer.size));
      answer.size += chunk.length;
      if (answer.size >= call.maxResponseBytes) break; // the rest is not read
    }
  } catch (err) {
    if (archiveFault !== undefined) throw archiveError(where, archiveFault);
    if (call.signal?.aborted) throw new TargetError(`${where} was cancelled`, { kind: 'aborted', retryable: false });
    if (deadline?.aborted)
      throw new TargetError(`${where} exceeded its ${call.deadlineMs} ms deadline`, { kind: 'timeout', retryable: true });
    if (idle.signal.aborted)
      throw new TargetError(`${where} timed out after ${timeoutMs} ms without progress`, { kind: 'timeout', retryable: true, cause: err });
    // The connection ended before the answer did. A success's body is what we act on, so a cut
    // one is a transient fault (retried), not a malformed answer; an error status stands as it is.
    if (answer && answer.status >= 200 && answer.status < 300) {
      throw new TargetError(`${where} answered HTTP ${answer.status}, but the answer was cut off after ${answer.size} bytes`, {
        kind: 'network',
        retryable: true,
        cause: err,
      });
    }
    if (!answer) throw new TargetError(`${where} failed: ${failureName(err)}`, { kind: 'network', retryable: true, cause: err });
  } finally {
    clearTimeout(idleTimer);
    if (call.body instanceof Readable && !call.body.readableEnded) call.body.destroy();
    void agent.destroy().catch(() => undefined);
  }
  return { status: answer.status, text: Buffer.concat(answer.chunks).toString('utf8') };
}

/**
 * The stream as undici gets it, each chunk it takes counted as progress. A wrapper, because undici
 * destroys the body it was given with its own socket errors, and those must not read as a failure
 * of the archive itself: only the source's own errors are.
 */
function relay(source: Readable, progress: () => void, onError: (err: unknown) => void): Readable {
  source.once('error', onError);
  return Readable.from(
    (async function* () {
      for await (const chunk of source) {
        progress();
        yield chunk as Buffer;
      }
    })(),
    { objectMode: false },
  );
}

/** The system's error code (ECONNREFUSED, ENOTFOUND…) where there is one; undici's own errors by their sentence. */
function failureName(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  return code === undefined || code.startsWith('UND_ERR') ? `${message}${code ? ` (${code})` : ''}` : code;
}

/** The archive side failed, not the receiver: a rejected tarball is final, a read error may pass. */
function archiveError(where: string, err: unknown): TargetError {
  const rejected = err instanceof TarballRejected;
  return new TargetError(`${where} aborted: archive ${rejected ? 'rejected' : 'unreadable'}: ${(err as Error).message}`, {
    kind: 'archive',
    retryable: !rejected,
    cause: err,
  });
}
