import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { TarballRejected } from '../tarballs/safety';
import { httpCall } from './http-call';
import { TargetError } from './target-error';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
}

/** 64 MiB, produced as it is read: far more than the sockets buffer, so the upload is still going when the answer comes. */
function endlessUpload(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      sent += 1;
      this.push(sent > 1024 ? null : Buffer.alloc(64 * 1024, 1));
    },
  });
}

async function failure(call: Promise<unknown>): Promise<TargetError> {
  const err = await call.catch((e: unknown) => e);
  if (!(err instanceof TargetError)) throw new Error(`expected a TargetError, got ${String(err)}`);
  return err;
}

describe('httpCall (undici)', () => {
  it('takes an answer that comes while the upload is still going as the answer, not as a network fault', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(413, { connection: 'close' });
      res.end('{"error":"receiver:too_large"}');
    });
    const answer = await httpCall({ method: 'POST', url, headers: {}, body: endlessUpload(), maxResponseBytes: 1024 });
    expect(answer).toEqual({ status: 413, text: '{"error":"receiver:too_large"}' });
  });

  it('cuts a long answer at maxResponseBytes', async () => {
    const url = await serve((_req, res) => res.end('x'.repeat(10_000)));
    expect(await httpCall({ method: 'GET', url, headers: {}, maxResponseBytes: 100 })).toEqual({ status: 200, text: 'x'.repeat(100) });
  });

  it("fails a call whose archive is rejected as final, and one whose archive cannot be read as retryable, never as the receiver's fault", async () => {
    const url = await serve((req, res) => req.resume().on('end', () => res.end('{}')));
    const archive = (err: Error) =>
      Readable.from(
        (async function* () {
          yield Buffer.from('start');
          throw err;
        })(),
      );
    const rejected = await failure(
      httpCall({
        method: 'POST',
        url,
        headers: {},
        body: archive(new TarballRejected('unsafe_link', 'a link out')),
        maxResponseBytes: 1024,
      }),
    );
    expect(rejected).toMatchObject({ kind: 'archive', retryable: false, message: expect.stringContaining('archive rejected: a link out') });
    const unreadable = await failure(
      httpCall({ method: 'POST', url, headers: {}, body: archive(new Error('disk gone')), maxResponseBytes: 1024 }),
    );
    expect(unreadable).toMatchObject({
      kind: 'archive',
      retryable: true,
      message: expect.stringContaining('archive unreadable: disk gone'),
    });
  });

  it('ends a call at its deadline as a retryable timeout, and a cancelled one as final', async () => {
    const url = await serve(() => undefined); // never answers
    const late = await failure(httpCall({ method: 'GET', url, headers: {}, maxResponseBytes: 1024, deadlineMs: 50 }));
    expect(late).toMatchObject({ kind: 'timeout', retryable: true, message: expect.stringContaining('50 ms deadline') });
    const idle = await failure(httpCall({ method: 'GET', url, headers: {}, maxResponseBytes: 1024, timeoutMs: 50 }));
    expect(idle).toMatchObject({ kind: 'timeout', retryable: true, message: expect.stringContaining('without progress') });
    const cancel = new AbortController();
    const call = httpCall({ method: 'POST', url, headers: {}, body: endlessUpload(), maxResponseBytes: 1024, signal: cancel.signal });
    cancel.abort();
    expect(await failure(call)).toMatchObject({ kind: 'aborted', retryable: false });
    server!.closeAllConnections();
  });

  it('names the system error of a refused connection', async () => {
    const url = await serve(() => undefined);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await failure(httpCall({ method: 'GET', url, headers: {}, maxResponseBytes: 1024 }))).toMatchObject({
      kind: 'network',
      retryable: true,
      message: expect.stringMatching(/failed: ECONNREFUSED$/),
    });
  });
});
