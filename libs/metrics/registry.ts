import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's one metrics registry. Gateway and worker are separate processes in production,
 * so each exports its own families; in tests both share a process and a registry.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const PREFIX = 'deploy_webhooks_';

// Gateway ----------------------------------------------------------------------------------------

export const intakeTotal = new Counter({
  name: `${PREFIX}intake_total`,
  help: 'Webhook deliveries by provider (github, travis, unknown) and outcome (queued, waiting_for_ci, existing, ignored, pong, or the error code).',
  labelNames: ['provider', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const httpRequestsTotal = new Counter({
  name: `${PREFIX}http_requests_total`,
  help: 'Gateway HTTP responses by method, route template and status code.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const httpRequestDuration = new Histogram({
  name: `${PREFIX}http_request_duration_seconds`,
  help: 'Gateway HTTP response time by method and route template (long-lived feeds excluded).',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

const feedClientSources = new Set<() => number>();

/** Adds a source of connected feed clients (a gateway's FeedHub); answers its removal. */
export function countFeedClients(source: () => number): () => void {
  feedClientSources.add(source);
  return () => void feedClientSources.delete(source);
}

export const feedClients = new Gauge({
  name: `${PREFIX}feed_clients`,
  help: 'Changes-feed clients connected right now.',
  registers: [metricsRegistry],
  collect() {
    let total = 0;
    for (const source of feedClientSources) total += source();
    this.set(total);
  },
});

export const deploymentsTotal = new Counter({
  name: `${PREFIX}deployments_total`,
  help: 'Deployments created, by cause (push, travis, retry, rollback, redeploy, env): what each release would be caused by.',
  labelNames: ['cause'] as const,
  registers: [metricsRegistry],
});

// Worker -----------------------------------------------------------------------------------------

export const deploymentsFinishedTotal = new Counter({
  name: `${PREFIX}deployments_finished_total`,
  help: 'Deployments that reached their final step, by state (succeeded, failed, canceled) and error code ("" on success).',
  labelNames: ['state', 'code'] as const,
  registers: [metricsRegistry],
});

export const deploymentDuration = new Histogram({
  name: `${PREFIX}deployment_duration_seconds`,
  help: "Time from a deployment's first status entry to its final one, by final state.",
  labelNames: ['state'] as const,
  buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  registers: [metricsRegistry],
});

export const stepDuration = new Histogram({
  name: `${PREFIX}step_duration_seconds`,
  help: 'Duration of each workflow step (from its first status entry to its ok/error one), by step and outcome (ok, error, canceled).',
  labelNames: ['step', 'outcome'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600],
  registers: [metricsRegistry],
});

export const uploadRetriesTotal = new Counter({
  name: `${PREFIX}upload_retries_total`,
  help: 'Upload attempts to a deployment target that failed and were retried by the workflow.',
  registers: [metricsRegistry],
});

export const healthChecksTotal = new Counter({
  name: `${PREFIX}health_checks_total`,
  help: 'Probes of apps\' health URLs during health-checked bakes, by result (pass, fail); the bakes\' durations are step_duration_seconds{step="verifying"}.',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});
