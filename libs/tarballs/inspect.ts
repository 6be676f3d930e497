import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { EntryGuard, TarballRejected, TarLimits } from './safety';

export interface TarballSummary {
  entries: number;
  bytes: number;
}

/** An entry's data: a streamx Readable (async-iterable, `resume()`, `pipe()`). */
export type EntryStream = AsyncIterable<Buffer> & { resume(): unknown; pipe<T extends NodeJS.WritableStream>(dest: T): T };
export type EntryVisitor = (path: string, header: tar.Header, stream: EntryStream) => Promise<void>;

/**
 * Stream-parses a gzipped tar, applying the safety rules to every entry in order; with a visitor
 * each accepted entry's data is handed over instead of skipped. Memory stays bounded by one
 * tar block. A guard may be passed in to span several archives. Bad gzip or tar framing becomes `corrupt`; a failing source keeps its own error.
 */
export async function walkTarball(
  source: Readable,
  limits: TarLimits,
  visit?: EntryVisitor,
  guard = new EntryGuard(limits),
): Promise<TarballSummary> {
  const extract = tar.extract();
  let sourceError: unknown;
  source.once('error', (err) => (sourceError = err));

  extract.on('entry', (header, stream, next) => {
    // A rejection destroys the extract, which destroys this entry's stream with the same error.
    stream.on('error', () => undefined);
    let path: string | null;
    try {
      path = guard.check(header);
    } catch (err) {
      stream.resume();
      return next(err as Error);
    }
    if (path === null || !visit) {
      stream.on('end', () => next()).resume();
      return;
    }
    visit(path, header, stream as unknown as EntryStream).then(
      () => next(),
      (err: Error) => {
        stream.resume();
        next(err);
      },
    );
  });

  try {
    await pipeline(source, createGunzip(), extract);
  } catch (err) {
    if (err instanceof TarballRejected || sourceError) throw sourceError ?? err;
    if (visit && !isFramingError(err)) throw err;
    throw new TarballRejected('corrupt', `not a readable tar.gz: ${(err as Error).message}`);
  }
  return guard.totals;
}

/**
 * The worker's `inspect` step: counts and checks, never extracts. An aborted `signal` stops the
 * read (the source is destroyed) and rejects with the signal's reason.
 */
export async function inspectTarball(source: Readable, limits: TarLimits, signal?: AbortSignal): Promise<TarballSummary> {
  const walking = walkTarball(source, limits); // attaches its error listener to the source first
  const abort = () => source.destroy((signal?.reason as Error | undefined) ?? new Error('inspection aborted'));
  if (signal?.aborted) abort();
  else signal?.addEventListener('abort', abort, { once: true });
  try {
    return await walking;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

function isFramingError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return /^Z_/.test(e?.code ?? '') || /header|end of data|unexpected end/i.test(e?.message ?? '');
}
