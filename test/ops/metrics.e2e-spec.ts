import { createServer } from 'node:net';
import { MetricsServer } from '../../libs/metrics';
import { PipelineFixture } from '../pipeline/pipeline-fixture';
import { ADMIN } from '../support/harness';
import { NdjsonFeed } from '../status/feed-client';
import { metric, scrape } from './prometheus';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const P = 'deploy_webhooks_';

describe('Prometheus metrics on the real stack', () => {
  let f: PipelineFixture;
  let temporalPort: number;
  let workerMetrics: string;
  beforeAll(async () => {
    temporalPort = await freePort();
    f = await PipelineFixture.start({ WORKER_METRICS_PORT: '0', TEMPORAL_METRICS_PORT: String(temporalPort) });
    workerMetrics = f.harness.worker!.get(MetricsServer).url!;
  });
  afterAll(() => f?.stop());

  const gateway = () => scrape(`${f.harness.baseUrl}/metrics`);

  it('counts intake by provider and outcome, and HTTP responses by route and status', async () => {
    const before = await gateway();
    const { repo, sha } = await f.commit();
    const queued = await f.push(repo, sha);
    expect(queued.status).toBe(202);
    await f.push(repo, sha); // the same commit again: names the existing deployment
    await f.push(repo, sha, { ref: 'refs/tags/v1' });
    const empty = await f.harness.request('POST', '/1/deploy', { headers: { 'content-type': 'application/json' }, body: '' });
    expect(empty.json.error).toBe('deploy:no_payload');
    const unauthenticated = await f.harness.request('POST', '/1/deploy', { auth: null, body: { zen: 'x', hook_id: 1 } });
    expect(unauthenticated.status).toBe(401);
    await f.outcome(queued.json.workflowId);

    const after = await gateway();
    const delta = (name: string, labels: Record<string, string>) => metric(after, name, labels) - metric(before, name, labels);
    expect(delta(`${P}intake_total`, { provider: 'github', outcome: 'queued' })).toBe(1);
    expect(delta(`${P}intake_total`, { provider: 'github', outcome: 'existing' })).toBe(1);
    expect(delta(`${P}intake_total`, { provider: 'github', outcome: 'ignored' })).toBe(1);
    expect(delta(`${P}intake_total`, { provider: 'unknown', outcome: 'deploy:no_payload' })).toBe(1);
    expect(delta(`${P}http_requests_total`, { method: 'POST', route: '/1/deploy', status: '202' })).toBe(2);
    expect(delta(`${P}http_requests_total`, { method: 'POST', route: '/1/deploy', status: '401' })).toBe(1);
    expect(delta(`${P}http_request_duration_seconds_count`, { method: 'POST', route: '/1/deploy' })).toBe(5);
    expect(metric(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it("exports deployments by final state and step durations from the worker's own listener", async () => {
    const before = await scrape(workerMetrics);
    const { repo, sha } = await f.commit();
    const response = await f.push(repo, sha);
    expect(await f.outcome(response.json.workflowId)).toEqual({ state: 'succeeded' });

    const failing = await f.commit({ files: { 'package.json': '{ not json' } });
    const failed = await f.push(failing.repo, failing.sha);
    const outcome = await f.outcome(failed.json.workflowId);
    expect(outcome.state).toBe('failed');

    const after = await scrape(workerMetrics);
    const delta = (name: string, labels: Record<string, string>) => metric(after, name, labels) - metric(before, name, labels);
    expect(delta(`${P}deployments_finished_total`, { state: 'succeeded', code: '' })).toBe(1);
    expect(delta(`${P}deployments_finished_total`, { state: 'failed', code: outcome.error!.code })).toBe(1);
    expect(delta(`${P}deployment_duration_seconds_count`, { state: 'succeeded' })).toBe(1);
    for (const step of ['resolve', 'fetch', 'inspect', 'upload', 'processing']) {
      expect([step, delta(`${P}step_duration_seconds_count`, { step, outcome: 'ok' })]).toEqual([step, 1]);
    }
    expect(delta(`${P}step_duration_seconds_count`, { step: 'resolve', outcome: 'error' })).toBe(1);
    expect(delta(`${P}step_duration_seconds_sum`, { step: 'fetch' })).toBeGreaterThan(0);
    expect(after.some((sample) => sample.name === `${P}upload_retries_total`)).toBe(true);
  });

  it("exports the Temporal worker's own metrics on TEMPORAL_METRICS_PORT", async () => {
    const samples = await scrape(`http://127.0.0.1:${temporalPort}/metrics`);
    expect(samples.some((sample) => sample.name.startsWith('temporal_'))).toBe(true);
  });

  it('gauges connected feed clients', async () => {
    const feed = await NdjsonFeed.open(`${f.harness.baseUrl}/1/status/${ADMIN.username}/changes`, ADMIN);
    try {
      expect(feed.status).toBe(200);
      expect(metric(await gateway(), `${P}feed_clients`)).toBe(1);
    } finally {
      feed.close();
    }
    const deadline = Date.now() + 5_000;
    while (metric(await gateway(), `${P}feed_clients`) !== 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(metric(await gateway(), `${P}feed_clients`)).toBe(0);
  });
});
