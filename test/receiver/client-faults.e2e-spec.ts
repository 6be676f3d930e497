import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { githubTarball } from '../support/archives';
import { FaultyReceiver, FaultyReceiverOptions, startFaultyReceiver } from '../support/faulty-receiver';
import { DeploymentTarget, TargetClient, TargetError } from '../../libs/targets';
import { archiveOf, deploymentPackage } from './helpers';

const client = new TargetClient({ timeoutMs: 2_000, outbound: { allow: ['127.0.0.1'] } }); // a loopback receiver
let faulty: FaultyReceiver | undefined;
afterEach(async () => {
  await faulty?.close();
  faulty = undefined;
});

async function start(options: FaultyReceiverOptions): Promise<DeploymentTarget> {
  faulty = await startFaultyReceiver(options);
  return { url: faulty.pushUrl, statusUrl: faulty.statusUrl, username: 'inigo', password: 'montoya' };
}

async function pushError(target: DeploymentTarget, options = {}): Promise<TargetError> {
  const err = await client.push(target, deploymentPackage(), [archiveOf(await githubTarball())], options).catch((e) => e);
  if (!(err instanceof TargetError)) throw new Error(`expected a TargetError, got ${JSON.stringify(err)}`);
  return err;
}

describe('TargetClient against a faulty receiver', () => {
  it('sends multipart with the package and archive parts and Basic auth', async () => {
    const target = await start({});
    const { remoteId } = await client.push(target, deploymentPackage(), [
      archiveOf(await githubTarball(), 'g1'),
      archiveOf(await githubTarball(), 'g2'),
    ]);
    expect(remoteId).toBe('remote-1');
    expect(faulty!.requests[0].authorization).toBe(`Basic ${Buffer.from('inigo:montoya').toString('base64')}`);
    expect(faulty!.requests[0].contentType).toMatch(/^multipart\/form-data; boundary=/);
  });

  it.each([
    [{ errorRate: 1 }, 503, true],
    [{ tooManyRequestsRate: 1 }, 429, true],
  ])('classifies %j as HTTP %i, retryable %s', async (options, status, retryable) => {
    const err = await pushError(await start(options));
    expect(err).toMatchObject({ kind: 'status', status, retryable });
    expect(err.bodyExcerpt).toContain('"error"');
  });

  it('treats dropped connections and timeouts as retryable', async () => {
    expect(await pushError(await start({ dropRate: 1 }))).toMatchObject({ kind: 'network', retryable: true });
    await faulty!.close();
    expect(await pushError(await start({ latencyMs: 1_000 }), { timeoutMs: 200 })).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('treats a refused connection as retryable and a cancelled call as final', async () => {
    const target = await start({});
    await faulty!.close();
    faulty = undefined;
    expect(await pushError(target)).toMatchObject({ kind: 'network', retryable: true });
    const aborted = await pushError(await start({ latencyMs: 1_000 }), { signal: AbortSignal.timeout(50) });
    expect(aborted).toMatchObject({ kind: 'aborted', retryable: false });
  });

  it('treats an answer cut off after its headers as a retryable network fault, for pushes and status reads', async () => {
    const cutPush = await pushError(await start({ cutAnswers: 1 }));
    // main: the half body was parsed as a complete 200 and failed as malformed, final.
    expect([cutPush.kind, cutPush.retryable, cutPush.message]).toEqual(['network', true, expect.stringContaining('cut off')]);
    expect(faulty!.requests.map((r) => r.outcome)).toEqual(['cut']);
    await faulty!.close(); // (left open, it kept Jest's worker from exiting)
    const target = { ...(await start({ cutAnswers: 1 })) };
    const cutStatus = await client.status(target, 'remote-1').catch((e) => e);
    expect([cutStatus.kind, cutStatus.retryable]).toEqual(['network', true]);
    expect((await client.status(target, 'remote-1')).state).toBe('SUCCESS'); // the next read is whole
  });

  it('rejects a 200 that is not JSON or has no _doc as malformed and final', async () => {
    const html = await pushError(await start({ pushAnswer: { status: 200, body: '<html>hello</html>' } }));
    expect(html).toMatchObject({ kind: 'malformed', retryable: false, status: 200, bodyExcerpt: '<html>hello</html>' });
    await faulty!.close();
    const noDoc = await pushError(await start({ pushAnswer: { status: 200, body: '{"id": 1}' } }));
    expect(noDoc.message).toContain('_doc');
  });

  it('bounds the body excerpt and scrubs the password from it', async () => {
    const err = await pushError(await start({ pushAnswer: { status: 400, body: `bad password montoya ${'x'.repeat(5000)}` } }));
    expect(err).toMatchObject({ status: 400, retryable: false });
    expect(err.bodyExcerpt!.length).toBeLessThanOrEqual(501);
    expect(err.bodyExcerpt).toContain('bad password ***');
    expect(err.message).not.toContain('montoya');
  });

  it('fails the same requests for the same seed', async () => {
    const outcomes = async () => {
      const target = await start({ seed: 42, errorRate: 0.3, tooManyRequestsRate: 0.2, dropRate: 0.1 });
      for (let i = 0; i < 12; i += 1) await client.status(target, `id-${i}`).catch(() => undefined);
      const seen = faulty!.requests.map((r) => r.outcome);
      await faulty!.close();
      faulty = undefined;
      return seen;
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('polls status: fills {{id}} URL-encoded, reports never-finishing work, rejects malformed status', async () => {
    const target = await start({ neverFinish: true });
    const status = await client.status(target, 'a b/c');
    expect(status).toMatchObject({ _doc: 'a b/c', state: 'PROCESSING', records: [{ state: 'PROCESSING', success: false }] });
    expect(faulty!.requests[0].url).toBe('/status/a%20b%2Fc');
    await faulty!.close();
    expect(await client.status(await start({ malformedStatus: 'not-json' }), 'x').catch((e) => e)).toMatchObject({
      kind: 'malformed',
      retryable: false,
    });
    await faulty!.close();
    const shape = await client.status(await start({ malformedStatus: 'bad-shape' }), 'x').catch((e) => e);
    expect(shape).toMatchObject({ kind: 'malformed' });
    expect(shape.message).toContain('records');
  });

  it('streams the upload: the receiver sees bytes before the archive has ended', async () => {
    let received = 0;
    let sawFirstBytes!: () => void;
    const firstBytes = new Promise<void>((resolve) => (sawFirstBytes = resolve));
    const server = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 256 * 1024) sawFirstBytes();
      });
      req.on('end', () => res.end(JSON.stringify({ _doc: 'streamed' })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // The archive only ends after the receiver has seen its first 256 KiB: a buffering client would deadlock.
    async function* archive() {
      for (let i = 0; i < 8; i += 1) yield Buffer.alloc(64 * 1024, i);
      await firstBytes;
      yield Buffer.from('end');
    }
    const target = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push` };
    const answer = await client.push(target, deploymentPackage(), [{ open: () => Readable.from(archive()) }]);
    server.close();
    expect(answer.remoteId).toBe('streamed');
    expect(received).toBeGreaterThan(8 * 64 * 1024);
  });
});
