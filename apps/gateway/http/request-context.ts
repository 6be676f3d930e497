import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
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

export const RequestUuid = createParamDecorator((_: unknown, context: ExecutionContext) => requestUuid(context.switchToHttp().getRequest()));
export const RawBody = createParamDecorator((_: unknown, context: ExecutionContext): Buffer => context.switchToHttp().getRequest<FastifyRequest>().rawBody ?? Buffer.alloc(0));

/**
 * Every response carries x-api-uuid (fresh per request) and x-api-version. Bodies are parsed
 * here so webhook signatures can be checked over the exact bytes received.
 */
export function installRequestContext(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHook('onRequest', async (request, reply) => {
    request.uuid = randomUUID();
    void reply.header('x-api-uuid', request.uuid).header('x-api-version', API_VERSION);
  });

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    request.rawBody = body as Buffer;
    if ((body as Buffer).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse((body as Buffer).toString('utf8')));
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

  fastify.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorResponse(error, request.url, requestUuid(request));
    void reply.status(status).type('application/json').send(body);
  });
}
