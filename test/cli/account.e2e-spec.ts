import 'reflect-metadata';
import { readFile, stat } from 'node:fs/promises';
import { AppsService } from '../../libs/apps';
import { Harness } from '../support/harness';
import { Cli, ERROR_LINE } from './run-cli';

const ALICE = { username: 'alice', password: 'alice-password-1' };

describe('deployctl: login, apps, env, tokens, errors (built CLI against the gateway)', () => {
  let harness: Harness;
  let cli: Cli;
  let second: Cli;
  beforeAll(async () => {
    [harness, cli, second] = await Promise.all([Harness.start({ worker: false }), Cli.create(), Cli.create()]);
    expect((await harness.request('POST', '/1/users', { body: ALICE })).status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([harness?.stop(), cli?.cleanup(), second?.cleanup()]);
  });

  const login = (target: Cli, secret: string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    target.run(['login', '--url', harness.baseUrl, '--user', ALICE.username, ...secret], options);
  const env = (app: string) =>
    harness
      .gateway!.get(AppsService)
      .forName(ALICE.username, app)
      .then((found) => found?.env);

  it('refuses a bad password with the API error and its uuid, exit 1, and writes nothing', async () => {
    const result = await login(cli, ['--password-stdin'], { input: 'wrong-password\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(ERROR_LINE('mw:auth:unauthorized'));
    await expect(stat(cli.configPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers usage errors with exit 2 and a pointer to --help', async () => {
    const [unknown, loggedOut, badUrl, help] = await Promise.all([
      cli.run(['apps', 'get', 'x', '--bogus']),
      cli.run(['apps', 'get', 'x']),
      cli.run(['login', '--url', 'ftp://x', '--user', 'a', '--token-stdin'], { input: 't' }),
      cli.run(['env', 'set', '--help']),
    ]);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/Unknown option '--bogus'[\s\S]*deployctl apps get --help/) });
    expect(loggedOut).toMatchObject({ code: 2, stderr: expect.stringMatching(/Not logged in/) });
    expect(badUrl).toMatchObject({ code: 2, stderr: expect.stringMatching(/--url must be an http/) });
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: deployctl env set <app> \[KEY\]/) });
  });

  it('logs in with a password read from stdin, keeping only a fresh API token in a 0600 file', async () => {
    const result = await cli.run(['login', '--url', harness.baseUrl, '--user', ALICE.username, '--password-stdin'], {
      input: `${ALICE.password}\n`,
    });
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(cli.configPath) });
    expect((await stat(cli.configPath)).mode & 0o777).toBe(0o600);
    const text = await readFile(cli.configPath, 'utf8');
    expect(text).not.toContain(ALICE.password);
    expect(JSON.parse(text)).toMatchObject({
      url: harness.baseUrl,
      user: ALICE.username,
      token: expect.stringMatching(/^dwt_/),
      tokenId: expect.any(String),
    });
  });

  it('refuses secrets on the command line, and writes nothing', async () => {
    const token = 'dwt_0123456789abcdef.not-a-real-secret-but-shaped-so';
    const refused = await login(second, ['--token', token]);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/--token-stdin or set \$DEPLOYCTL_TOKEN/) });
    expect(refused.stderr).not.toContain(token);
    await expect(stat(second.configPath)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await cli.run(['apps', 'set', 'web', '--repository', 'octo-org/web', '--webhook-secret', 's3cret'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--webhook-secret-stdin/),
    });
    expect(await env('web')).toBeUndefined(); // no app was created
  });

  it('creates an app, then changes one setting and keeps the rest (secrets from stdin included)', async () => {
    expect(await cli.run(['apps', 'set', 'web'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--repository/) });
    const target = ['--target-url', 'http://receiver.test/push', '--target-user', 'deployer'];
    const created = await cli.run(
      ['apps', 'set', 'web', '--repository', 'octo-org/web', ...target, '--target-password-stdin', '--retain'],
      {
        input: 'pw\n',
      },
    );
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/Repository\s+octo-org\/web \(default branch\)/) });
    expect(await cli.run(['apps', 'set', 'web', '--webhook-secret-stdin'], { input: 's3cret' })).toMatchObject({ code: 0 });
    await cli.run(['apps', 'set', 'web', '--branch', 'release', '--archive-format', 'zip']);
    const app = await cli.json(['apps', 'get', 'web']);
    expect(app).toMatchObject({
      repository: 'octo-org/web',
      branch: 'release',
      retain: true,
      hasWebhookSecret: true,
      target: { url: 'http://receiver.test/push', username: 'deployer', hasPassword: true, archiveFormat: 'zip' },
    });
    const opened = await harness.gateway!.get(AppsService).forName(ALICE.username, 'web');
    expect(opened).toMatchObject({ webhookSecret: 's3cret', target: { password: 'pw' } });
    const missing = await cli.run(['apps', 'get', 'nope']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(ERROR_LINE('apps:not_found')) });
  });

  it('sets env variables from stdin (one value, or KEY=VALUE lines) and removes them, keeping the others; apps set keeps env unless told', async () => {
    const lines = '# from a .env file\nA=1\n\nB=pg://u:p@h/db?x=1\n';
    expect((await cli.run(['env', 'set', 'web'], { input: lines })).stdout.split('\n')).toEqual(['A', 'B', '']);
    expect((await cli.run(['env', 'set', 'web', 'C'], { input: '3\n' })).stdout.split('\n')).toEqual(['A', 'B', 'C', '']);
    expect(await env('web')).toEqual({ A: '1', B: 'pg://u:p@h/db?x=1', C: '3' });
    expect((await cli.run(['env', 'rm', 'web', 'A'])).code).toBe(0);
    expect(await env('web')).toEqual({ B: 'pg://u:p@h/db?x=1', C: '3' });

    expect((await cli.run(['apps', 'set', 'web', '--ci', 'none'])).code).toBe(0);
    expect(await env('web')).toEqual({ B: 'pg://u:p@h/db?x=1', C: '3' });
    expect((await cli.run(['env', 'set', 'web', '--json'], { input: 'C=4\nD=5' })).code).toBe(0);
    expect(await env('web')).toEqual({ B: 'pg://u:p@h/db?x=1', C: '4', D: '5' });
    // A value on the command line is refused and changes nothing.
    expect(await cli.run(['env', 'set', 'web', 'D=6'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/printf %s/) });
    expect(await cli.run(['apps', 'set', 'web', '--env', 'D=6'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/env set web/) });
    expect(await env('web')).toEqual({ B: 'pg://u:p@h/db?x=1', C: '4', D: '5' });
    expect((await cli.run(['env', 'set', 'web', 'ONLY', '--replace'], { input: '1' })).code).toBe(0);
    expect(await cli.json(['env', 'get', 'web'])).toMatchObject({ envKeys: ['ONLY'], ci: 'none', branch: 'release' });
    expect((await cli.run(['apps', 'set', 'web', '--drop-env'])).stdout).toMatch(/Env\s+\(none\)/);
    expect(await env('web')).toEqual({});
    expect((await cli.run(['env', 'rm', 'web', 'GONE'])).stdout).toBe('web has no environment variables.\n');
    expect(await cli.run(['env', 'set', 'web', 'not-a-key'], { input: '1' })).toMatchObject({ code: 2 });
    expect(await cli.run(['env', 'set', 'nope', 'A'], { input: '1' })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(ERROR_LINE('apps:not_found')),
    });
    // An app created without secrets says so, also once its env has changed (a stored undefined reads back as null).
    await cli.run(['apps', 'set', 'plain', '--repository', 'octo-org/plain', '--target-url', 'http://receiver.test/push']);
    expect((await cli.run(['env', 'set', 'plain', 'A'], { input: '1' })).code).toBe(0);
    expect(await cli.json(['apps', 'get', 'plain'])).toMatchObject({ hasWebhookSecret: false, target: { hasPassword: false } });
  });

  it('creates, lists and revokes tokens; a revoked token no longer logs in', async () => {
    const created = await cli.run(['tokens', 'create', 'ci-bot']);
    expect(created).toMatchObject({ code: 0, stderr: expect.stringMatching(/never shown again/) });
    const token = created.stdout.trim();
    expect(await login(second, ['--token-stdin'], { input: `${token}\n` })).toMatchObject({ code: 0 });
    expect(JSON.parse(await readFile(second.configPath, 'utf8'))).toEqual({ url: harness.baseUrl, user: ALICE.username, token });
    expect(await login(second, [], { env: { DEPLOYCTL_TOKEN: token } })).toMatchObject({ code: 0 });

    const listed: Array<{ id: string; name: string; revokedAt?: string }> = await cli.json(['tokens', 'list']);
    const ciBot = listed.find((entry) => entry.name === 'ci-bot')!;
    expect(ciBot.revokedAt).toBeUndefined();
    expect(listed.some((entry) => entry.name.startsWith('deployctl '))).toBe(true); // the one login made
    expect(await cli.run(['tokens', 'revoke', ciBot.id])).toMatchObject({ code: 0, stdout: `Token ${ciBot.id} revoked.\n` });
    expect((await cli.run(['tokens', 'list'])).stdout).toMatch(new RegExp(`${ciBot.id}\\s+ci-bot\\s+.*revoked`));

    const again = await login(second, ['--token-stdin'], { input: token });
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(ERROR_LINE('mw:auth:unauthorized')) });
    expect(await second.run(['tokens', 'list'])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(ERROR_LINE('mw:auth:unauthorized')),
    });
    expect(await cli.run(['tokens', 'revoke', ciBot.id])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(ERROR_LINE('tokens:not_found')),
    });
  });

  it('logs out: revokes the token login created and deletes the config', async () => {
    const { tokenId } = JSON.parse(await readFile(cli.configPath, 'utf8'));
    expect(await cli.run(['logout'])).toMatchObject({ code: 0 });
    await expect(stat(cli.configPath)).rejects.toMatchObject({ code: 'ENOENT' });
    const tokens = await harness.request('GET', `/1/users/${ALICE.username}/tokens`);
    expect(tokens.json.find((token: { id: string }) => token.id === tokenId)).toMatchObject({ revokedAt: expect.any(String) });
    expect(await cli.run(['logout'])).toMatchObject({ code: 0, stdout: 'Not logged in.\n' });
  });
});
