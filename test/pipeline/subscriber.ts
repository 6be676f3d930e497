import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';

/** A subscriber's endpoint: records every POST, answers each event's scripted statuses in turn (then `otherwise`). */
export class Subscriber {
  received: Array<{ event: string; delivery: string; signature?: string; body: string }> = [];
  answers: Record<string, number[]> = {};
  otherwise = 200;
  private server!: Server;
  url!: string;

  async start(): Promise<this> {
    this.server = createServer(
      (req: IncomingMessage, res) =>
        void (async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          const event = String(req.headers['x-deploy-event']);
          this.received.push({
            event,
            delivery: String(req.headers['x-deploy-delivery']),
            signature: req.headers['x-deploy-signature-256'] as string | undefined,
            body: Buffer.concat(chunks).toString('utf8'),
          });
          res.statusCode = this.answers[event]?.shift() ?? this.otherwise;
          res.end();
        })(),
    );
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  of(event: string) {
    return this.received.filter((r) => r.event === event);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Polls until `check` answers something (the deliveries run in their own workflows, after the
 * deployment); names what it waited for when it gives up, before Jest's own timeout would.
 */
export async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A host that accepts connections and never answers: what a hostile subscriber points deliveries at. */
export class Tarpit {
  readonly sockets: Socket[] = [];
  private server!: TcpServer;
  url!: string;

  async start(): Promise<this> {
    this.server = createTcpServer((socket) => void this.sockets.push(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
