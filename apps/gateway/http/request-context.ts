import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { API_VERSION, toErrorResponse } from './api-errors';

declare module 'fastify' {
  interface FastifyRequest {
    uuid?: string;
    rawBody?: Buffer;
  }
}

export function requestUuid(request: FastifyRequest): string {
  return request.uuid ?? 'unknown';
}

export const RequestUuid = createParamDecorator((_: unknown, context: ExecutionContext) =>
  requestUuid(context.switchToHttp().getRequest()),
);
export const RawBody = createParamDecorator(
  (_: unknown, context: ExecutionContext): Buffer => context.switchToHttp().getRequest<FastifyRequest>().rawBody ?? Buffer.alloc(0),
);

/**
 * Every response carries x-api-uuid (fresh per request) and x-api-version. Bodies are parsed
 * here so webhook signatures can be checked over the exact bytes received.
 */
export function installRequestContext(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHook('onRequest', async (request, reply) => {
    request.uuid = request.id; // Fastify's id is a UUID (genReqId), so request logs carry it too
    void reply.header('x-api-uuid', request.uuid).header('x-api-version', API_VERSION);
  });

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    request.rawBody = body as Buffer;
    if ((body as Buffer).length === 0) return done(null, undefined);
    const text = (body as Buffer).toString('utf8');
    // Deeper documents would overflow the stack of the recursive DTO transform (a 500): treat them like invalid JSON.
    if (nestingExceeds(text, MAX_JSON_DEPTH)) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      // The deploy route reports its own code; other routes get a 400 from their DTO checks.
      done(null, undefined);
    }
  });
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, Object.fromEntries(new URLSearchParams((body as Buffer).toString('utf8'))));
  });
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    request.rawBody = body as Buffer;
    done(null, undefined);
  });

  // Errors Node raises before a request exists (malformed framing, header overflow, headers or
  // request timeout): Fastify's default answer is not the API's error JSON and has no x-api-uuid.
  fastify.server.removeAllListeners('clientError');
  fastify.server.on('clientError', answerClientError);
}

/**
 * Fastify's error handler for errors raised outside a route (body parsers, limits, hooks): the
 * spec's error JSON. Installed by GatewayFastifyAdapter in place of Nest's, which rewraps
 * Fastify errors as HttpException(message, status) and so loses their `code`.
 */
export function answerFastifyError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorResponse(error, request.url, requestUuid(request));
  void reply.status(status).type('application/json').send(body);
}

/**
 * Fastify's `frameworkErrors`: errors found while routing, before any hook runs (a malformed
 * percent-encoding, a path parameter over `maxParamLength`), in the API's error JSON with
 * the headers every answer carries.
 */
export function answerFrameworkError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  request.uuid = request.id;
  void reply.header('x-api-uuid', request.uuid).header('x-api-version', API_VERSION);
  answerFastifyError(error, request, reply);
}

/** No request body the gateway takes is nested anywhere near this deep. */
const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests arrays/objects deeper than `max`; a scan, no recursion. */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return false;
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are over the size limit.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request did not arrive in time.'],
};

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [statusCode, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'The request is not valid HTTP.'];
  const uuid = randomUUID();
  const { status, body } = toErrorResponse(Object.assign(new Error(message), { statusCode }), '', uuid);
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n` +
        `x-api-uuid: ${uuid}\r\nx-api-version: ${API_VERSION}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
