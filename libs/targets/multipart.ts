import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * A minimal multipart/form-data writer. form-data opens every stream when it is appended; this
 * one opens each archive only when its turn comes and pulls it with backpressure, so a push of
 * several 1 GB archives holds one chunk in memory at a time.
 */
export interface MultipartPart {
  name: string;
  filename?: string;
  contentType: string;
  body: string | (() => Readable);
}

export function newBoundary(): string {
  return `----deploy-webhooks-${randomBytes(12).toString('hex')}`;
}

export function multipartStream(parts: MultipartPart[], boundary: string): Readable {
  async function* generate(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      const filename = part.filename === undefined ? '' : `; filename="${quote(part.filename)}"`;
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"${filename}\r\nContent-Type: ${part.contentType}\r\n\r\n`,
      );
      if (typeof part.body === 'string') yield Buffer.from(part.body, 'utf8');
      else for await (const chunk of part.body()) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${boundary}--\r\n`);
  }
  return Readable.from(generate(), { objectMode: false });
}

function quote(value: string): string {
  return value.replace(/["\r\n\\]/g, '_');
}
