import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * An app's health endpoint for the health-checked bake (docs/contract.md#verified-releases):
 * answers `status` (flipped by the test) to every request, `ready` or `broken` in the body, and
 * counts the probes.
 */
export class HealthEndpoint {
  status = 200;
  probes = 0;
  url = '';
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      this.probes++;
      res.statusCode = this.status;
      res.end(this.status === 200 ? 'ready' : 'broken');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/healthz`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
