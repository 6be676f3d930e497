import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CommandSpec, integer, parse, findCommand } from './command';
import { COMMANDS } from './commands';
import { parseEnvLines } from './commands/env-change';
import { ConfigStore, configPath } from './config-store';
import { ApiFailure, UsageError } from './errors';
import { main } from './main';
import { colourEnabled, formatFailure, Output, table } from './output';

const sample: CommandSpec = {
  name: 'env set',
  args: '<app> KEY=VALUE...',
  summary: 's',
  positionals: [2, 3],
  options: { replace: { type: 'boolean', help: 'r' }, tag: { type: 'string', multiple: true, help: 't' } },
  run: async () => undefined,
};

describe('command parsing', () => {
  it('resolves two-word commands before one-word ones, and names the group otherwise', () => {
    expect(findCommand(COMMANDS, ['apps', 'set', 'web', '--branch', 'b'])).toMatchObject({
      command: { name: 'apps set' },
      rest: ['web', '--branch', 'b'],
    });
    expect(findCommand(COMMANDS, ['watch', 'web'])).toMatchObject({ command: { name: 'watch' }, rest: ['web'] });
    expect(findCommand(COMMANDS, ['apps', 'nope'])).toEqual({ group: 'apps', rest: ['nope'] });
    expect(findCommand(COMMANDS, ['nope'])).toEqual({ group: undefined, rest: [] });
  });

  it('parses flags strictly and checks the number of arguments', () => {
    expect(parse(sample, ['web', 'A=1', '--replace', '--tag', 'x', '--tag', 'y', '--json'])).toEqual({
      args: ['web', 'A=1'],
      flags: { replace: true, tag: ['x', 'y'], json: true },
    });
    expect(() => parse(sample, ['web', 'A=1', '--bogus'])).toThrow(new UsageError("Unknown option '--bogus'."));
    expect(() => parse(sample, ['web'])).toThrow(/env set needs <app> KEY=VALUE/);
    expect(() => parse(sample, ['a', 'b', 'c', 'd'])).toThrow(/at most 3, got: d/);
    expect(() => parse(sample, ['web', '--tag'])).toThrow(UsageError);
    expect(parse(sample, ['--help']).flags.help).toBe(true); // help needs no arguments
  });

  it('reads bounded whole numbers', () => {
    expect(integer({ limit: '5' }, 'limit', 100, 1, 100)).toBe(5);
    expect(integer({}, 'limit', 100, 1, 100)).toBe(100);
    for (const bad of ['0', '101', '1.5', '-1', 'x'])
      expect(() => integer({ limit: bad }, 'limit', 100, 1, 100)).toThrow(/--limit must be/);
  });

  it('gives every command help that lists its options', async () => {
    for (const command of COMMANDS) {
      const { code, stdout } = await captureMain([...command.name.split(' '), '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: deployctl ${command.name}`);
      const options = stdout.slice(stdout.indexOf('Options:'));
      for (const [name, option] of Object.entries(command.options ?? {}))
        expect({ name, shown: new RegExp(`--${name}(?![\\w-])`).test(options) }).toEqual({ name, shown: !option.hidden });
    }
  });
});

describe('main', () => {
  it('exits 2 for no or unknown commands and 0 for help', async () => {
    expect(await captureMain([])).toMatchObject({ code: 2, stderr: expect.stringContaining('Commands:') });
    expect(await captureMain(['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('deploys list [app]') });
    expect(await captureMain(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect(await captureMain(['tokens', '--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('tokens revoke <id>') });
    expect(await captureMain(['tokens'])).toMatchObject({ code: 2, stderr: expect.stringContaining('tokens needs a command') });
  });
});

describe('secrets', () => {
  const SECRET = 'S3cret-value-1';

  it('refuses every secret given on the command line, naming the stdin (or environment) way, and never echoes it', async () => {
    const login = ['login', '--url', 'http://127.0.0.1:9', '--user', 'alice'];
    const cases: Array<[string[], RegExp]> = [
      [[...login, '--token', SECRET], /--token takes no value on the command line.*--token-stdin or set \$DEPLOYCTL_TOKEN/],
      [[...login, '--password', SECRET], /--password takes no value on the command line.*--password-stdin/],
      [['github', 'auth', '--credentials', `octocat:${SECRET}`], /--credentials-stdin or set \$DEPLOYCTL_GITHUB_CREDENTIALS/],
      [['apps', 'set', 'web', '--target-password', SECRET], /--target-password-stdin/],
      [['apps', 'set', 'web', '--webhook-secret', SECRET], /--webhook-secret-stdin/],
      [['apps', 'set', 'web', '--env', `API_KEY=${SECRET}`], /deployctl env set web, which reads them from stdin/],
      [['notify', 'add', 'web', 'https://hooks.example/x', '--secret', SECRET], /--secret-stdin/],
      [['env', 'set', 'web', `API_KEY=${SECRET}`], /printf %s "\$VALUE" \| deployctl env set web API_KEY/],
    ];
    for (const [argv, message] of cases) {
      const result = await captureMain(argv);
      expect({ argv, code: result.code, refused: message.test(result.stderr) }).toEqual({ argv, code: 2, refused: true });
      expect(result.stderr).not.toContain(SECRET);
    }
  });

  it('reads one secret from stdin per command, and refuses an empty one', async () => {
    expect(await captureMain(['apps', 'set', 'web', '--target-password-stdin', '--webhook-secret-stdin'], 'x\n')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Only one secret can come from stdin, not --target-password-stdin and --webhook-secret-stdin'),
    });
    expect(await captureMain(['github', 'auth', '--credentials-stdin'], '\n')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--credentials-stdin read nothing from stdin'),
    });
    expect(await captureMain(['login', '--url', 'http://127.0.0.1:9', '--user', 'a'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('login needs one of --password-stdin, --token-stdin or $DEPLOYCTL_TOKEN'),
    });
  });

  it('reads KEY=VALUE lines for env set, skipping comments and blank lines', () => {
    expect(parseEnvLines('# a comment\nA=1\r\n\nB=x=y\nC=\n')).toEqual({ A: '1', B: 'x=y', C: '' });
    expect(() => parseEnvLines('\n# only\n')).toThrow(/no KEY=VALUE line/);
    expect(() => parseEnvLines('A=1\nnot a line\n')).toThrow(/"not a line" is not KEY=VALUE/);
  });
});

describe('output', () => {
  it('colours only a terminal without NO_COLOR (or when forced)', () => {
    expect(colourEnabled({ write: () => true, isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ write: () => true, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ write: () => true, isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled({ write: () => true }, {})).toBe(false);
    expect(colourEnabled({ write: () => true }, { FORCE_COLOR: '1' })).toBe(true);
  });

  it('aligns columns ignoring colour codes', () => {
    const out = new Output({ write: () => true }, { write: () => true }, { FORCE_COLOR: '1' });
    expect(
      table([
        ['a', out.paint('green', 'ok'), 'x'],
        ['long', 'error', 'y'],
      ]),
    ).toEqual(['a     \x1b[32mok\x1b[0m     x', 'long  error  y']);
  });

  it('formats API errors as code: message (uuid)', () => {
    expect(formatFailure(new ApiFailure('mw:auth:unauthorized', 'No.', 'u-1', 401))).toBe('mw:auth:unauthorized: No. (u-1)');
    expect(formatFailure(new ApiFailure('cli:unreachable', 'Down.'))).toBe('cli:unreachable: Down.');
  });
});

describe('config store', () => {
  it('finds the config file: DEPLOYCTL_CONFIG, then an absolute XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configPath({ DEPLOYCTL_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/xdg/deployctl/config.json');
    expect(configPath({ XDG_CONFIG_HOME: 'relative' }, '/home/u')).toBe('/home/u/.config/deployctl/config.json');
  });

  it('saves with mode 0600 even over a wider existing file, and removes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deployctl-unit-'));
    try {
      const store = new ConfigStore(join(dir, 'sub', 'config.json'));
      expect(await store.load()).toBeNull();
      await store.save({ url: 'http://a', user: 'u', token: 't1' });
      await writeFile(store.path, await readFile(store.path), { mode: 0o644 });
      await store.save({ url: 'http://a', user: 'u', token: 't2', tokenId: 'i' });
      expect((await stat(store.path)).mode & 0o777).toBe(0o600);
      expect(await store.load()).toEqual({ url: 'http://a', user: 'u', token: 't2', tokenId: 'i' });
      expect(await store.remove()).toBe(true);
      expect(await store.load()).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function captureMain(argv: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stdin = new PassThrough();
  stdin.end(input);
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin,
    env: { DEPLOYCTL_CONFIG: '/nonexistent/deployctl.json' },
  });
  return { code, stdout, stderr };
}
