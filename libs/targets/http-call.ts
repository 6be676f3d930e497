import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { TarballRejected } from '../tarballs/safety';
import { CallOptions } from './types';
import { TargetError, redactUrl } from './target-error';

export interface HttpCall extends CallOptions {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** Streamed into the request; never buffered. */
  body?: Readable;
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
 * One HTTP exchange with a receiver over node:http(s), every failure turned into a TargetError
 * classified for retries. Redirects are never followed: a 3xx is answered as it is (and the
 * client makes it a non-retryable status error), so a receiver cannot send us past the guard. Once an answer has arrived it wins over later socket errors: a
 * receiver may answer 401 or 413 and close while we are still uploading.
 */
export function httpCall(call: HttpCall): Promise<HttpAnswer> {
  const where = `${call.method} ${redactUrl(call.url)}`;
  return new Promise<HttpAnswer>((resolve, reject) => {
    let settled = false;
    let answer: { status: number; chunks: Buffer[]; size: number; complete(): boolean } | undefined;
    let bodyError: unknown;
    const timers: NodeJS.Timeout[] = [];

    const finish = (err?: TargetError) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      call.signal?.removeEventListener('abort', onAbort);
      const uploading = call.body !== undefined && !call.body.readableEnded;
      if (uploading) call.body!.destroy();
      if (err || uploading) req.destroy();
      if (err) return reject(err);
      resolve({ status: answer!.status, text: Buffer.concat(answer!.chunks).toString('utf8') });
    };
    const onAbort = () => finish(new TargetError(`${where} was cancelled`, { kind: 'aborted', retryable: false }));

    const url = new URL(call.url);
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, { method: call.method, headers: call.headers, ...(call.lookup ? { lookup: call.lookup } : {}) });

    req.setTimeout(call.timeoutMs ?? DEFAULT_TIMEOUT_MS, () =>
      finish(new TargetError(`${where} timed out after ${call.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms without progress`, { kind: 'timeout', retryable: true })),
    );
    if (call.deadlineMs !== undefined) {
      timers.push(setTimeout(() => finish(new TargetError(`${where} exceeded its ${call.deadlineMs} ms deadline`, { kind: 'timeout', retryable: true })), call.deadlineMs));
    }
    if (call.signal?.aborted) return onAbort();
    call.signal?.addEventListener('abort', onAbort);

    // The connection ended before the answer did. A success's body is what we act on, so a cut
    // one is a transient fault (retried), not a malformed answer; an error status stands as it is.
    const cutOff = () => {
      const { status, size } = answer!;
      if (status < 200 || status >= 300) return finish();
      finish(new TargetError(`${where} answered HTTP ${status}, but the answer was cut off after ${size} bytes`, { kind: 'network', retryable: true }));
    };
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (bodyError) return finish(archiveError(where, bodyError));
      if (answer) return answer.complete() ? finish() : cutOff();
      finish(new TargetError(`${where} failed: ${err.code ?? err.message}`, { kind: 'network', retryable: true, cause: err }));
    });
    req.on('response', (res) => {
      answer = { status: res.statusCode ?? 0, chunks: [], size: 0, complete: () => res.complete };
      res.on('data', (chunk: Buffer) => {
        if (answer!.size >= call.maxResponseBytes) return;
        answer!.chunks.push(chunk.subarray(0, call.maxResponseBytes - answer!.size));
        answer!.size += chunk.length;
      });
      res.on('end', () => finish());
      res.on('error', cutOff);
      res.on('close', () => (res.complete ? finish() : cutOff()));
    });

    if (!call.body) return void req.end();
    call.body.once('error', (err) => {
      bodyError = err;
      finish(archiveError(where, err));
    });
    call.body.pipe(req);
  });
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
