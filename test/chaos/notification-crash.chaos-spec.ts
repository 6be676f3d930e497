import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { signature } from '../../libs/notifications';
import { ADMIN } from '../support/harness';
import { ChaosStack } from './chaos-stack';

/**
 * Notifications (docs/contract.md#notifications): the worker is killed with SIGKILL while a notification is being delivered
 * (the subscriber holds the first POST open). The delivery is retried after the restart under the
 * same X-Deploy-Delivery id, every POST carries a valid signature, and the delivery ends
 * `delivered` as one record: subscribers dedupe on the id, so the event is delivered once.
 */
describe('worker killed while a notification is being delivered', () => {
  const stack = new ChaosStack();
  const secret = 'chaos-notification-secret';
  const received: Array<{ delivery: string; signature?: string; body: string }> = [];
  let holdFirst = true;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    await stack.start();
    server = createServer(
      (req: IncomingMessage, res) =>
        void (async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          received.push({
            delivery: String(req.headers['x-deploy-delivery']),
            signature: req.headers['x-deploy-signature-256'] as string | undefined,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          if (holdFirst) return; // never answered: the worker is killed while it waits
          res.statusCode = 200;
          res.end();
        })(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }, 120_000);
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await stack.stop();
  });

  const api = async (method: string, path: string, body?: object) => {
    const response = await fetch(`${stack.gatewayUrl()}${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  };
  const until = async <T>(check: () => Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('retries under the same delivery id after the kill and ends delivered once', async () => {
    const repo = 'notified';
    const sha = await stack.commit(repo);
    expect((await api('PUT', `/1/apps/admin/${repo}`, { repository: `octo-org/${repo}` })).status).toBe(200);
    expect((await api('POST', `/1/apps/admin/${repo}/notifications`, { url, events: ['deployment.succeeded'], secret })).status).toBe(201);
    const pushed = await stack.push(repo, sha, 'notified-1');
    expect(await stack.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });

    await until(async () => (received.length > 0 ? true : undefined)); // the first POST is in flight, held
    stack.killWorker();
    holdFirst = false;
    server.closeAllConnections();
    stack.restartWorker();

    const deliveries = await until(async () => {
      const list = (await api('GET', `/1/apps/admin/${repo}/deliveries`)).json as
        Array<{ id: string; event: string; status: string; attempts: number }> | undefined;
      return list?.some((d) => d.status === 'delivered') ? list : undefined;
    });
    console.log(`notification: ${received.length} POSTs across the worker kill, delivery ${deliveries[0].id}`);
    expect(deliveries.filter((d) => d.event === 'deployment.succeeded')).toEqual([expect.objectContaining({ status: 'delivered' })]);
    const id = deliveries[0].id;
    expect(received.length).toBeGreaterThanOrEqual(2); // the held attempt, then the retry after the restart
    expect(received.map((r) => r.delivery)).toEqual(received.map(() => id));
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
    for (const r of received) expect(r.signature).toBe(signature(secret, r.body));
  });
});
