import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { installHttpMetrics } from '../../libs/metrics';

/**
 * Fastify's request id, generated as a UUID: pino-http (a Nest middleware, so it runs before the
 * gateway's own onRequest hooks) binds it to every log line of the request.
 */
export const genRequestId = (): string => randomUUID();

/** Request metrics for the gateway. x-api-uuid is the request's Fastify id (see request-context.ts). */
export function installObservability(fastify: FastifyInstance): void {
  installHttpMetrics(fastify);
}
