import { createServer, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { HealthCheckClient, HealthProbe } from './health-check.client';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(answer: (res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    answer(res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
}

const allowed = new HealthCheckClient({ allow: ['127.0.0.1'] });
const probe = (url: string, overrides: Partial<HealthProbe> = {}) =>
  allowed.probe({ url, expectStatus: [200, 399], timeoutMs: 1000, ...overrides });

/** One probe of a health URL (docs/contract.md#verified-releases): every outcome an answer, none thrown. */
describe('HealthCheckClient', () => {
  it('passes a status in expectStatus (with bodyIncludes in the body) and fails any other, naming the answer', async () => {
    const url = await serve((res) => {
      res.statusCode = 203;
      res.end('ready');
    });
    expect(await probe(url)).toEqual({ ok: true, answer: '203' });
    expect(await probe(url, { bodyIncludes: 'ready' })).toEqual({ ok: true, answer: '203' });
    expect(await probe(url, { bodyIncludes: 'healthy' })).toEqual({ ok: false, answer: '203 (body lacks "healthy")' });
    expect(await probe(url, { expectStatus: [200, 200] })).toEqual({ ok: false, answer: '203 (expected 200)' });
  });

  it('fails a redirect (not followed), a timeout and a refused connection alike', async () => {
    const redirect = await serve((res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/' });
      res.end();
    });
    expect(await probe(redirect, { expectStatus: [200, 299] })).toEqual({ ok: false, answer: '302 (expected 200-299)' });
    server!.close();
    const slow = await serve(() => undefined); // never answers
    expect(await probe(slow, { timeoutMs: 300 })).toMatchObject({ ok: false, answer: expect.stringMatching(/300 ms/) });
    server!.closeAllConnections();
    server!.close();
    server = undefined;
    expect(await probe(slow)).toMatchObject({ ok: false, answer: expect.stringContaining('ECONNREFUSED') });
  });

  it('fails a URL the outbound rules refuse without calling it', async () => {
    let called = false;
    const url = await serve((res) => {
      called = true;
      res.end();
    });
    expect(await new HealthCheckClient().probe({ url, expectStatus: [200, 399], timeoutMs: 1000 })).toMatchObject({
      ok: false,
      answer: expect.stringContaining('this machine'),
    });
    expect(called).toBe(false);
  });
});
