import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A deliberately faulty HTTP deployment receiver (plain node:http) for retry and error tests.
 * Every request draws one number from a seeded generator, so a given seed fails the same
 * requests in the same way on every run.
 */
export interface FaultyReceiverOptions {
  seed?: number;
  /** Delay before answering any request. */
  latencyMs?: number;
  /** Shares of requests answered 503 / 429 / dropped (socket destroyed, no answer); they add up to at most 1. */
  errorRate?: number;
  tooManyRequestsRate?: number;
  dropRate?: number;
  /** Status stays PROCESSING forever. */
  neverFinish?: boolean;
  /** Status answers that break the protocol: not JSON, or JSON of the wrong shape. */
  malformedStatus?: 'not-json' | 'bad-shape';
  /** The next N answers that would succeed send their headers and half their body, then the connection drops. */
  cutAnswers?: number;
  /** Overrides the answer to a successful push (e.g. a 200 that is not JSON). */
  pushAnswer?: { status: number; body: string; contentType?: string };
}

export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  bytes: number;
  outcome: 'ok' | 'error' | 'throttled' | 'dropped' | 'cut';
}

export interface FaultyReceiver {
  url: string;
  pushUrl: string;
  statusUrl: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

/** mulberry32: tiny, fast, good enough to spread faults evenly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startFaultyReceiver(options: FaultyReceiverOptions = {}): Promise<FaultyReceiver> {
  const random = seededRandom(options.seed ?? 1);
  const requests: SeenRequest[] = [];
  let pushes = 0;
  let cuts = options.cutAnswers ?? 0;

  const server: Server = createServer((req, res) => {
    const seen: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      bytes: 0,
      outcome: 'ok',
    };
    requests.push(seen);
    const draw = random();
    const drop = options.dropRate ?? 0;
    const error = drop + (options.errorRate ?? 0);
    const throttle = error + (options.tooManyRequestsRate ?? 0);
    req.on('data', (chunk: Buffer) => (seen.bytes += chunk.length));
    req.on('end', () => {
      setTimeout(() => {
        if (draw < drop) {
          seen.outcome = 'dropped';
          return void req.socket.destroy();
        }
        if (draw < error) return answer(res, seen, 'error', 503, { error: 'unavailable', message: 'try later' });
        if (draw < throttle) return answer(res, seen, 'throttled', 429, { error: 'throttled', message: 'slow down' });
        route(req, res, seen);
      }, options.latencyMs ?? 0);
    });
  });

  function route(req: IncomingMessage, res: ServerResponse, seen: SeenRequest): void {
    if (req.method === 'POST') {
      pushes += 1;
      if (options.pushAnswer) {
        res.writeHead(options.pushAnswer.status, { 'content-type': options.pushAnswer.contentType ?? 'text/plain' });
        return void res.end(options.pushAnswer.body);
      }
      return answer(res, seen, 'ok', 200, { _doc: `remote-${pushes}` });
    }
    const id = decodeURIComponent((req.url ?? '').split('?')[0].split('/').pop() ?? '');
    if (options.malformedStatus === 'not-json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"_doc": "truncated');
    }
    if (options.malformedStatus === 'bad-shape') return answer(res, seen, 'ok', 200, { _doc: id, state: 'HALF_DONE', records: 'none' });
    const state = options.neverFinish ? 'PROCESSING' : 'SUCCESS';
    const record = {
      _doc: 'r1',
      state: options.neverFinish ? 'PROCESSING' : 'FINISHED',
      operation: 'DEPLOY',
      ref: 'ref',
      success: !options.neverFinish,
      message: '',
    };
    answer(res, seen, 'ok', 200, { _doc: id, state, operation: 'DEPLOY', retain: false, records: [record] });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    pushUrl: `${url}/push`,
    statusUrl: `${url}/status/{{id}}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function answer(res: ServerResponse, seen: SeenRequest, outcome: SeenRequest['outcome'], status: number, body: unknown): void {
    seen.outcome = outcome;
    const text = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(text.length) });
    if (outcome === 'ok' && cuts > 0) {
      cuts -= 1;
      seen.outcome = 'cut';
      return void res.write(text.subarray(0, text.length >> 1), () => res.destroy());
    }
    res.end(text);
  }
}
