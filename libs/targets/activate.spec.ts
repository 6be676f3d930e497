import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ACTIVATE_REFUSED_STATUSES, TargetClient } from './target-client';
import { TargetError } from './target-error';
import { DeploymentPackage } from './types';

/** TargetClient.activate (docs/contract.md#activate): which answers mean "this receiver cannot ACTIVATE", which are failures. */
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A receiver answering every push `status` with `body`; answers its target and the bodies it received. */
async function receiver(status: number, body: string) {
  const received: string[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { target: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push` }, received };
}

const client = new TargetClient({ timeoutMs: 5_000, outbound: { allow: ['127.0.0.1'] } });
const activation: DeploymentPackage = {
  _doc: 'dep-3',
  operation: 'ACTIVATE',
  retain: true,
  activates: 'dep-1',
  app: { name: 'shop', version: '1.0.0' },
  commit: 'c'.repeat(40),
  repository: 'octo-org/shop',
  env: {},
  records: [{ _doc: 'dep-3', operation: 'ACTIVATE', ref: 'dep-1' }],
};

describe('TargetClient.activate', () => {
  it("pushes the package alone, no archive part, and answers the receiver's id", async () => {
    const { target, received } = await receiver(200, '{"_doc":"dep-3"}');
    expect(await client.activate(target, activation)).toEqual({ remoteId: 'dep-3' });
    expect(received[0]).toContain('"operation":"ACTIVATE"');
    expect(received[0]).toContain('"activates":"dep-1"');
    expect(received[0]).not.toContain('name="archive-');
  });

  it.each(ACTIVATE_REFUSED_STATUSES)('answers HTTP %i as a refusal of the operation, quoting the receiver', async (status) => {
    const { target } = await receiver(
      status,
      '{"code":"receiver:invalid_package","message":"package.operation must be one of DEPLOY, UNDEPLOY"}',
    );
    const answer = await client.activate(target, activation);
    expect(answer).toEqual({
      refused: expect.stringMatching(new RegExp(`^the receiver refused the ACTIVATE with HTTP ${status}: \\{"code"`)),
    });
  });

  it.each([401, 403, 413, 503])('fails on HTTP %i, as an upload would', async (status) => {
    const { target } = await receiver(status, '{}');
    const error = await client.activate(target, activation).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).status).toBe(status);
  });

  it('refuses to send a package that is not an ACTIVATE naming a release', async () => {
    const { target, received } = await receiver(200, '{"_doc":"x"}');
    await expect(client.activate(target, { ...activation, activates: undefined })).rejects.toThrow('not an ACTIVATE package');
    expect(received).toEqual([]);
  });
});
