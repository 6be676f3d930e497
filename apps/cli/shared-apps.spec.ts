import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { appPath, appRef } from './commands/apps';
import { ConfigStore } from './config-store';
import { UsageError } from './errors';
import { main } from './main';

const APP = {
  user: 'alice',
  name: 'web',
  repository: 'o/web',
  createdAt: 't',
  branch: 'main',
  deployOn: { branch: 'main' },
  hasWebhookSecret: true,
  envKeys: ['A'],
  retain: true,
  ci: 'none',
  updatedAt: 't',
};

describe('app names: <app> or <owner>/<app> (docs/guides.md#sharing-an-app-with-your-team)', () => {
  it('reads <app> as the signed-in user’s and <owner>/<app> as a shared one, refusing anything else', () => {
    expect(appRef('carol', 'web')).toEqual({ owner: 'carol', name: 'web' });
    expect(appRef('carol', 'alice/web')).toEqual({ owner: 'alice', name: 'web' });
    expect(appPath('carol', 'web')).toBe('/1/apps/carol/web');
    expect(appPath('carol', 'alice/web')).toBe('/1/apps/alice/web');
    for (const bad of ['/web', 'alice/', 'a/b/c', '/']) expect(() => appPath('carol', bad)).toThrow(UsageError);
  });
});

/** Every app-taking command, run as carol on alice/web against a recording stand-in of the gateway. */
describe('every app-taking command reaches a shared app', () => {
  let server: Server;
  let dir: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      request.resume();
      request.on('end', () => {
        const path = request.url!.split('?')[0];
        seen.push(`${request.method} ${path}`);
        if (path.endsWith('/changes')) {
          response.writeHead(200, { 'content-type': 'application/x-ndjson' });
          response.end(
            `${JSON.stringify({ seq: '1', app_name: 'other', doc: {} })}\n${JSON.stringify({ seq: '2', app_name: 'web', doc: {} })}\n`,
          );
          return;
        }
        const body =
          request.method === 'GET' && path !== '/1/apps/alice/web' ? [] : { ...APP, id: 'd1', release: 1, sha: 'a'.repeat(40), pr: 12 };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dir = await mkdtemp(join(tmpdir(), 'deployctl-shared-'));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new ConfigStore(join(dir, 'config.json')).save({ url, user: 'carol', token: 'carol-token' });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (argv: string[], input = '') => {
    seen.length = 0;
    let stdout = '';
    let stderr = '';
    const stdin = new PassThrough();
    stdin.end(input);
    const code = await main(argv, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdin,
      env: { DEPLOYCTL_CONFIG: join(dir, 'config.json') },
    });
    return { code, stdout, stderr, requests: [...seen] };
  };

  it.each([
    [['apps', 'get', 'alice/web'], ['GET /1/apps/alice/web']],
    [
      ['apps', 'set', 'alice/web', '--branch', 'dev'],
      ['GET /1/apps/alice/web', 'PUT /1/apps/alice/web'],
    ],
    [['env', 'get', 'alice/web'], ['GET /1/apps/alice/web']],
    [['env', 'rm', 'alice/web', 'A'], ['PATCH /1/apps/alice/web/env']],
    [['releases', 'alice/web'], ['GET /1/apps/alice/web/releases']],
    [['rollback', 'alice/web', 'v1', '--no-follow'], ['POST /1/apps/alice/web/rollback']],
    [['redeploy', 'alice/web', '--no-follow'], ['POST /1/apps/alice/web/redeploy']],
    [['promote', 'alice/web', 'prod', '--no-follow'], ['POST /1/apps/alice/web/promote']],
    [['unlock', 'alice/web'], ['POST /1/apps/alice/web/unlock']],
    [['deploys', 'list', 'alice/web'], ['GET /1/status/alice/webhooks/web']],
    [['notify', 'ls', 'alice/web'], ['GET /1/apps/alice/web/notifications']],
    [['deliveries', 'alice/web'], ['GET /1/apps/alice/web/deliveries']],
    [['previews', 'alice/web'], ['GET /1/apps/alice/web/previews']],
    [['previews', 'approve', 'alice/web', '#12'], ['POST /1/apps/alice/web/previews/12/approve']],
    [['collaborators', 'ls', 'alice/web'], ['GET /1/apps/alice/web/collaborators']],
    [['watch', 'alice/web', '--once', '1'], ['GET /1/status/alice/changes']],
  ])('deployctl %j asks for %j', async (argv, requests) => {
    const result = await run([...argv, '--json']);
    expect(result).toMatchObject({ code: 0, stderr: '', requests });
  });

  it("watch of a shared app shows only that app's entries from the owner's feed", async () => {
    const result = await run(['watch', 'alice/web', '--once', '1', '--json']);
    expect(
      result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).app_name),
    ).toEqual(['web']);
  });

  it('refuses a name that is neither <app> nor <owner>/<app> before asking anything', async () => {
    const result = await run(['rollback', 'a/b/c']);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('a/b/c is neither <app> nor <owner>/<app>.'), requests: [] });
  });
});
