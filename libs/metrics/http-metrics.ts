import type { FastifyInstance } from 'fastify';
import { httpRequestDuration, httpRequestsTotal } from './registry';

/** Streams that stay open for minutes (the changes feed) would drown the latency histogram. */
const LONG_LIVED = /\/changes$/;

/**
 * Counts every gateway response by method, route template (`/1/apps/:user/:app`, never the
 * concrete path: bounded label values) and status; unmatched URLs count as route `unmatched`.
 */
export function installHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const method = request.method;
    httpRequestsTotal.inc({ method, route, status: String(reply.statusCode) });
    if (!LONG_LIVED.test(route)) httpRequestDuration.observe({ method, route }, reply.elapsedTime / 1000);
    done();
  });
}
