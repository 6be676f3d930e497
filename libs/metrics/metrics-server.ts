import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsRegistry } from './registry';

/** The Prometheus text exposition of this process's registry. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}

export interface MetricsServerOptions {
  host: string;
  /** Off when undefined; 0 picks a free port (tests). */
  port?: number;
}
export const METRICS_SERVER_OPTIONS = Symbol('METRICS_SERVER_OPTIONS');

/**
 * A tiny HTTP listener serving `GET /metrics` for a process without an HTTP server of its own
 * (the worker). Started with the application, stopped with it.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(@Inject(METRICS_SERVER_OPTIONS) private readonly options: MetricsServerOptions) {}

  /** `http://host:port/metrics` once listening; undefined when off. */
  get url(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address ? `http://${this.options.host}:${address.port}/metrics` : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.port === undefined) return;
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Metrics are at GET /metrics.\n');
        return;
      }
      renderMetrics().then(
        ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
        (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on ${this.url}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
