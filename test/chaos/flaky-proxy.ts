import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { seededRandom } from '../support/faulty-receiver';

/**
 * An HTTP proxy in front of a real receiver that fails a seeded share of requests: half of
 * the faults before forwarding (503 or a dropped connection), half after the receiver has
 * answered (the receiver did the work, the client sees a failure) — the case that proves
 * the same deployment is processed once however often it is sent.
 */
export class FlakyProxy {
  private server?: Server;
  url = '';
  faults = 0;
  forwarded = 0;
  down = false;

  constructor(
    private readonly upstream: string,
    private readonly faultRate: number,
    seed = 7,
  ) {
    this.random = seededRandom(seed);
  }
  private readonly random: () => number;

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      if (this.down) return void req.socket.destroy();
      const roll = this.random();
      const fault = roll < this.faultRate;
      const before = fault && roll < this.faultRate / 2;
      if (before) {
        this.faults++;
        if (this.random() < 0.5) return void req.socket.destroy();
        req.resume();
        return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"flaky"}');
      }
      const target = new URL(req.url ?? '/', this.upstream);
      const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        this.forwarded++;
        if (fault) {
          this.faults++;
          answer.resume();
          return void (this.random() < 0.5 ? req.socket.destroy() : res.writeHead(502).end('bad gateway'));
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => req.socket.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
