import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { createGatewayApp } from '../../apps/gateway/create-gateway';
import { createWorkerApp } from '../../apps/worker/create-worker';
import { GithubServer } from '../../tools/github-standin/github-standin';
import { ADMIN, Harness } from '../support/harness';
import { githubHeaders, githubPush } from '../support/payloads';

/** Every JSON line the gateway and the worker log, as written. */
class Capture implements DestinationStream {
  readonly raw: string[] = [];
  write(line: string): void {
    this.raw.push(line);
  }
  get lines(): Array<Record<string, any>> {
    return this.raw.map((line) => JSON.parse(line));
  }
}

describe('structured logs', () => {
  const capture = new Capture();
  let harness: Harness;
  let github: GithubServer;
  let gateway: NestFastifyApplication;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    github = await new GithubServer().start();
    harness = await Harness.start({ gateway: false, worker: false, env: { LOG_LEVEL: 'debug', GITHUB_API_URL: github.url } });
    gateway = await createGatewayApp(harness.config, { logDestination: capture });
    await gateway.listen(0, '127.0.0.1');
    harness.baseUrl = await gateway.getUrl();
    worker = await createWorkerApp(harness.config, {}, { logDestination: capture });
  });
  afterAll(async () => {
    await gateway?.close();
    await worker?.close();
    await harness?.stop();
    await github?.stop();
  });

  it('writes one JSON line per request with the x-api-uuid the caller got', async () => {
    const responses = await Promise.all([
      harness.request('GET', '/health'),
      harness.request('GET', `/1/status/${ADMIN.username}/webhooks`),
      harness.request('GET', '/no/such/route'),
      harness.request('GET', `/1/status/${ADMIN.username}/webhooks`, { auth: { username: ADMIN.username, password: 'wrong-password' } }),
    ]);
    for (const response of responses) {
      const uuid = response.headers.get('x-api-uuid');
      expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
      const line = capture.lines.find((l) => l.uuid === uuid && l.msg === 'request completed');
      expect(line).toMatchObject({ uuid, res: { statusCode: response.status }, req: { method: 'GET' } });
      expect(typeof line!.ms).toBe('number');
      expect(typeof line!.time).toBe('string');
      if (response.status >= 400) expect(response.json.uuid).toBe(uuid);
    }
  });

  it('puts the deployment and workflow ids on the lines that concern a deployment, and the uuid on the intake lines', async () => {
    const signature = `sha256=${'5ec7e7'.repeat(10)}abcd`;
    const response = await harness.request('POST', '/1/deploy', {
      headers: { ...githubHeaders('push'), 'x-hub-signature-256': signature },
      body: githubPush({ repo: 'missing-repo' }), // GitHub has no such repository: the workflow fails at resolve
    });
    expect(response.status).toBe(202);
    const { id, workflowId, uuid } = response.json;
    await harness.temporal.workflow.getHandle(workflowId).result();
    // The SDK holds its log lines at least 100 ms to put them in time order with its core's
    // (NativeLogCollector, since the core's lines are forwarded): wait for the end's own line.
    for (
      let waited = 0;
      waited < 5_000 && !capture.lines.some((l) => l.workflowId === workflowId && l.activityType === 'finishDeployment');
      waited += 50
    )
      await new Promise((resolve) => setTimeout(resolve, 50));

    const intake = capture.lines.find((l) => l.deploymentId === id && /deployment .* started/.test(l.msg));
    expect(intake).toMatchObject({ uuid, workflowId, context: 'IntakeService', level: 'info' });
    const request = capture.lines.find((l) => l.uuid === uuid && l.msg === 'request completed');
    expect(request?.req.headers['x-hub-signature-256']).toBe('[redacted]');

    const activityLines = capture.lines.filter((l) => l.activityType !== undefined || l.activity !== undefined);
    expect(activityLines.length).toBeGreaterThan(0);
    const mine = activityLines.filter((l) => l.workflowId === workflowId);
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(line.deploymentId).toBe(id);
    expect(mine.some((l) => l.msg === 'Activity failed' && l.error?.type === 'deploy:github:no_pkg_json')).toBe(true);
    expect(JSON.stringify(mine)).not.toContain('"taskToken":"C');
    expect(capture.raw.join('\n')).not.toContain(signature);
  });

  it('never writes credentials, passwords, tokens or signatures', async () => {
    const password = 'a-password-nobody-may-log-7f3a';
    const created = await harness.request('POST', '/1/users', { body: { username: 'log-alice', password } });
    expect(created.status).toBe(201);
    const token = await harness.request('POST', '/1/users/log-alice/tokens', {
      auth: { username: 'log-alice', password },
      body: { name: 'ci' },
    });
    expect(token.status).toBe(201);
    await harness.request('GET', '/1/status/log-alice/webhooks', { auth: { username: 'log-alice', password: token.json.token } });
    await harness.request('POST', '/1/deploy', {
      headers: { ...githubHeaders('push'), signature: 'travis-signature-never-logged' },
      body: { payload: 'x' },
    });

    const all = capture.raw.join('\n');
    const basic = (user: string, secret: string) => Buffer.from(`${user}:${secret}`).toString('base64');
    for (const secret of [
      password,
      token.json.token,
      ADMIN.password,
      basic(ADMIN.username, ADMIN.password),
      basic('log-alice', password),
      'travis-signature-never-logged',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(capture.lines.filter((l) => l.req?.headers?.authorization).every((l) => l.req.headers.authorization === '[redacted]')).toBe(
      true,
    );
    expect(capture.lines.some((l) => l.req?.headers?.authorization === '[redacted]')).toBe(true);
  });
});
