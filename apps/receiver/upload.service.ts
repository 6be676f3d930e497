import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { ApiError, Errors } from '../../libs/errors';
import { DeploymentPackage } from '../../libs/targets';
import { parsePackage } from './package-validation';
import { SpooledArchive } from './package-store';
import { DEFAULT_MAX_PACKAGE_BYTES, RECEIVER_OPTIONS, ReceiverOptions } from './receiver-options';

export interface Upload {
  pkg: DeploymentPackage;
  archives: SpooledArchive[];
  uploadDir: string;
}

/**
 * Reads a push: the `package` part (field or file) and every `archive-*` part, spooled to
 * `<stateDir>/uploads/<random>/` through a byte counter, so memory holds one chunk whatever the
 * size. `isKnown` lets a repeated package skip spooling its archives (they are drained). The
 * `package` part is the one part held in memory, so it has its own small bound (maxPackageBytes).
 */
@Injectable()
export class UploadService {
  constructor(@Inject(RECEIVER_OPTIONS) private readonly options: ReceiverOptions) {}

  async receive(request: FastifyRequest, isKnown: (id: string) => boolean): Promise<Upload> {
    if (!request.isMultipart()) throw ApiError.of(Errors.receiverBadMultipart);
    const uploadDir = join(this.options.stateDir, 'uploads', randomUUID());
    await mkdir(uploadDir, { recursive: true });
    const archives: SpooledArchive[] = [];
    let pkg: DeploymentPackage | undefined;
    let total = 0;
    const count = (bytes: number) => {
      total += bytes;
      if (total > this.options.bodyLimitBytes) throw tooLarge(`the request exceeds ${this.options.bodyLimitBytes} bytes`);
    };
    const maxPackage = this.options.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
    const packageTooLarge = () => tooLarge(`the package part exceeds ${maxPackage} bytes`);
    try {
      // Fields are only ever the package (others are ignored), so the field limit is the package's.
      const parts = request.parts({ limits: { fileSize: this.options.maxArchiveBytes, fieldSize: maxPackage, parts: 1000 } });
      for await (const part of parts) {
        if (part.type === 'field') {
          count(typeof part.value === 'string' ? Buffer.byteLength(part.value) : 0);
          if (part.fieldname === 'package' && part.valueTruncated) throw packageTooLarge();
          if (part.fieldname === 'package') pkg = parsePackage(part.value);
        } else if (part.fieldname === 'package') {
          const body = await readBounded(part.file, maxPackage, count);
          if (!body) throw packageTooLarge();
          pkg = parsePackage(body.toString('utf8'));
        } else if (!part.fieldname.startsWith('archive-') || (pkg && isKnown(pkg._doc))) {
          await pipeline(part.file, counter(count), devNull());
        } else {
          const file = join(uploadDir, `${archives.length}.bin`);
          await pipeline(part.file, counter(count), createWriteStream(file));
          if (part.file.truncated) throw tooLarge(`archive part ${part.fieldname} exceeds ${this.options.maxArchiveBytes} bytes`);
          archives.push({ part: part.fieldname, file });
        }
      }
      if (!pkg) throw ApiError.of(Errors.receiverNoPackage);
      return { pkg, archives, uploadDir };
    } catch (err) {
      await rm(uploadDir, { recursive: true, force: true });
      throw asApiError(err);
    }
  }
}

function tooLarge(message: string): ApiError {
  return ApiError.of(Errors.receiverTooLarge, message);
}

/** The stream's bytes, or undefined when there are more than `max` (the rest is drained, not kept). */
async function readBounded(stream: NodeJS.ReadableStream, max: number, count: (bytes: number) => void): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    count(bytes.length);
    size += bytes.length;
    if (size <= max) chunks.push(bytes);
  }
  return size <= max ? Buffer.concat(chunks) : undefined;
}

function counter(count: (bytes: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        count(chunk.length);
        done(null, chunk);
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

function devNull(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** Multipart parser failures are the client's fault: 413 for its limits, 400 for everything malformed. */
function asApiError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_INVALID_JSON_FIELD_ERROR') return ApiError.of(Errors.receiverInvalidPackage, 'the package part is not valid JSON');
  if (e.message === 'aborted' || e.code === 'ECONNRESET' || e.code === 'FST_MP_PREMATURE_CLOSE') {
    return ApiError.of(Errors.receiverBadMultipart, 'the upload was interrupted');
  }
  if (e.statusCode === 413) return tooLarge(e.message ?? 'request too large');
  if (e.code?.startsWith('FST_') || /multipart|part|form|boundary/i.test(e.message ?? '')) {
    return ApiError.of(Errors.receiverBadMultipart, `malformed multipart body: ${e.message}`);
  }
  return err;
}
