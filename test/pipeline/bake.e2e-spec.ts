import { HealthEndpoint } from '../support/health-endpoint';
import { MetricsServer } from '../../libs/metrics';
import { metric, scrape } from '../ops/prometheus';
import { PipelineFixture, waitFor } from './pipeline-fixture';
import { Subscriber } from './subscriber';

type Release = { version: number; deployment: string; commit: string; cause: string; by: string; live: boolean; rolledBackTo?: number };

/**
 * The health-checked bake and the automatic rollback (docs/contract.md#verified-releases) on the
 * real stack: the reference receiver's files on disk, the GitHub-shaped server's deployments, a
 * subscriber's notifications. The bake is short (20 s at 1 s, two failures in a row) so it fits a test.
 */
describe('verified releases: health-checked bake and automatic rollback', () => {
  let f: PipelineFixture;
  let health: HealthEndpoint;
  let subscriber: Subscriber;
  const app = 'baked';
  const commits: Record<string, string> = {};

  beforeAll(async () => {
    health = await new HealthEndpoint().start();
    subscriber = await new Subscriber().start();
    f = await PipelineFixture.start({ WORKER_METRICS_PORT: '0' });
    f.github.tokens.set('ghp_bake', 'admin-gh');
    expect((await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_bake' } })).status).toBe(200);
  });
  afterAll(async () => {
    await f?.stop();
    await health?.stop();
    await subscriber?.stop();
  });

  const record = async (id: string) => (await f.harness.request('GET', `/1/deployments/${id}`)).json;
  const releases = async (): Promise<Release[]> => (await f.harness.request('GET', `/1/apps/admin/${app}/releases?limit=100`)).json;
  const githubDeploymentsOf = (sha: string) => f.github.ci.deployments.filter((d) => d.repository === `octo-org/${app}` && d.sha === sha);

  it('refuses a health check out of bounds or a URL the outbound rules refuse, naming the field', async () => {
    const put = (healthCheck: unknown) =>
      f.harness.request('PUT', `/1/apps/admin/${app}`, { body: { repository: `octo-org/${app}`, healthCheck } });
    const tooFast = await put({ url: health.url, interval: '100ms' });
    expect(tooFast.status).toBe(400);
    expect(tooFast.json).toMatchObject({ error: 'apps:bad_health_check', message: expect.stringContaining('healthCheck.interval') });
    const metadata = await put({ url: 'http://169.254.169.254/latest/meta-data' });
    expect(metadata.json).toMatchObject({ error: 'apps:bad_health_check', message: expect.stringContaining('healthCheck.url') });
    expect((await put({ url: health.url, failureThreshold: 0 })).json.error).toBe('apps:bad_health_check');
  });

  it('a release whose health URL answers 200 passes its bake: verifying, then done ok, the release recorded', async () => {
    const put = await f.harness.request('PUT', `/1/apps/admin/${app}`, {
      body: {
        repository: `octo-org/${app}`,
        healthCheck: { url: health.url, interval: '1s', timeout: '1s', bake: '20s', failureThreshold: 2 },
      },
    });
    expect(put.status).toBe(200);
    expect(put.json.healthCheck).toEqual({
      url: health.url,
      expectStatus: '200-399',
      interval: '1s',
      timeout: '1s',
      failureThreshold: 2,
      bake: '20s',
      initialDelay: '0s',
    });
    const added = await f.harness.request('POST', `/1/apps/admin/${app}/notifications`, {
      body: { url: subscriber.url, events: ['deployment.failed', 'deployment.rolled_back', 'deployment.succeeded'] },
    });
    expect(added.status).toBe(201);

    commits.C1 = (await f.labelledCommit(app, 'C1')).sha;
    const pushed = await f.push(app, commits.C1);
    expect(pushed.status).toBe(202);
    await waitFor(async () => (await record(pushed.json.id)).state?.state === 'verifying');
    expect(await releases()).toEqual([]); // recorded when the bake passes
    // The bake's progress, from the workflow while it runs: passing probes write no entry.
    await waitFor(async () => ((await record(pushed.json.id)).state?.bake?.probes ?? 0) >= 2);
    expect((await record(pushed.json.id)).state.bake).toMatchObject({ failuresInARow: 0, failureThreshold: 2, endsAt: expect.any(String) });
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const steps = await f.steps(pushed.json.id);
    const verifying = steps.filter((s) => s.step === 'verifying');
    expect(verifying.map((s) => s.status)).toEqual(['pending', 'ok']);
    expect(health.probes).toBeGreaterThanOrEqual(20);
    expect(await f.liveLabel(app)).toBe('// C1\n');
    expect((await releases()).map((r) => [r.version, r.cause, r.live])).toEqual([[1, 'push', true]]);
  }, 120_000);

  it('one whose URL answers 500 after the cut-over is rolled back: C1 live again, the app locked, waiting and later pushes kept out', async () => {
    commits.C2 = (await f.labelledCommit(app, 'C2', commits.C1)).sha;
    const bad = await f.push(app, commits.C2, { before: commits.C1 });
    await waitFor(async () => (await record(bad.json.id)).state?.state === 'verifying');
    expect(await f.liveLabel(app)).toBe('// C2\n');
    // A push meanwhile waits in the line: one deployment at the target, its bake included.
    commits.C3 = (await f.labelledCommit(app, 'C3', commits.C2)).sha;
    const waiting = await f.push(app, commits.C3, { before: commits.C2 });
    expect(waiting.status).toBe(202);
    await waitFor(async () => (await record(waiting.json.id)).state?.state === 'queued');
    health.status = 500;

    const outcome = await f.outcome(bad.json.workflowId);
    expect(outcome).toEqual({
      state: 'failed',
      error: {
        code: 'deploy:health:failed',
        message: expect.stringMatching(/^2 health checks of .* failed in a row: 500 \(expected 200-399\); 500/),
      },
    });
    expect(outcome.error!.message).toContain('Rolling baked back to release v1');
    const locked = (await f.harness.request('GET', `/1/apps/admin/${app}`)).json.locked;
    expect(locked).toMatchObject({ release: 1, by: 'health-check' });
    const rollback = await record(locked.deployment);
    expect(rollback).toMatchObject({ cause: 'auto-rollback', rolledBackTo: 1 });
    expect(await f.outcome(rollback.workflowId)).toEqual({ state: 'succeeded' });

    // The previous release's files are live at the receiver again; a new release records it.
    expect(await f.liveLabel(app)).toBe('// C1\n');
    expect((await releases()).map((r) => [r.version, r.commit, r.cause, r.rolledBackTo, r.by, r.live])).toEqual([
      [2, commits.C1, 'auto-rollback', 1, 'health-check', true],
      [1, commits.C1, 'push', undefined, 'webhook:github', false],
    ]);
    // What waited in the line ended naming the lock; a push now is ignored.
    expect(await f.outcome(waiting.json.workflowId)).toEqual({
      state: 'canceled',
      error: { code: 'deploy:canceled', message: expect.stringContaining('locked after an automatic rollback to release v1') },
    });
    const later = await f.push(app, (await f.labelledCommit(app, 'C4', commits.C3)).sha, { before: commits.C3 });
    expect(later.status).toBe(200);
    expect(later.json).toMatchObject({ status: 'ignored', reason: expect.stringContaining('locked after a rollback') });

    // GitHub: the bad commit's deployment failure, the restored release's a new success.
    expect(githubDeploymentsOf(commits.C2).flatMap((d) => d.statuses.map((s) => s.state))).toContain('failure');
    const restored = githubDeploymentsOf(commits.C1);
    expect(restored).toHaveLength(2);
    expect(restored[1].statuses.map((s) => s.state)).toContain('success');
    // Subscribers: the bad deployment failed, the rollback rolled back.
    await waitFor(async () => subscriber.of('deployment.rolled_back').length > 0);
    expect(subscriber.of('deployment.failed')).toHaveLength(1);
    expect(subscriber.of('deployment.rolled_back')).toHaveLength(1);
    // The status log tells the story: the bake's start, its failures, its end.
    const steps = await f.steps(bad.json.id);
    expect(steps.filter((s) => s.step === 'verifying').map((s) => s.status)).toEqual(['pending', 'pending', 'error']);
    // The worker's metrics: probes by result, the bakes' durations by outcome.
    const samples = await scrape(f.harness.worker!.get(MetricsServer).url!);
    expect(metric(samples, 'deploy_webhooks_health_checks_total', { result: 'pass' })).toBeGreaterThanOrEqual(20);
    expect(metric(samples, 'deploy_webhooks_health_checks_total', { result: 'fail' })).toBeGreaterThanOrEqual(2);
    expect(metric(samples, 'deploy_webhooks_step_duration_seconds_count', { step: 'verifying', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(metric(samples, 'deploy_webhooks_step_duration_seconds_count', { step: 'verifying', outcome: 'error' })).toBeGreaterThanOrEqual(
      1,
    );
  }, 120_000);

  it('a first release failing its bake ends deploy:health:failed and the app stays as it is: nothing to roll back to, no lock', async () => {
    const first = 'baked-first';
    const healthCheck = { url: health.url, interval: '1s', timeout: '1s', bake: '5s', failureThreshold: 2 };
    expect(
      (await f.harness.request('PUT', `/1/apps/admin/${first}`, { body: { repository: `octo-org/${first}`, healthCheck } })).status,
    ).toBe(200);
    health.status = 503;
    const c1 = await f.labelledCommit(first, 'F1');
    const pushed = await f.push(first, c1.sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({
      state: 'failed',
      error: {
        code: 'deploy:health:failed',
        message: expect.stringContaining('Nothing rolled back: baked-first had no release live before this deployment'),
      },
    });
    expect((await f.harness.request('GET', `/1/apps/admin/${first}`)).json.locked).toBeUndefined();
    expect(await f.liveLabel(first)).toBe('// F1\n');
    expect((await f.harness.request('GET', `/1/apps/admin/${first}/releases`)).json).toEqual([]);
  }, 60_000);
});
