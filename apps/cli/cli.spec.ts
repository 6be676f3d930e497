import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CommandSpec, integer, parse, resolve } from './command';
import { COMMANDS } from './commands';
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
    expect(resolve(COMMANDS, ['apps', 'set', 'web', '--branch', 'b'])).toMatchObject({
      command: { name: 'apps set' },
      rest: ['web', '--branch', 'b'],
    });
    expect(resolve(COMMANDS, ['watch', 'web'])).toMatchObject({ command: { name: 'watch' }, rest: ['web'] });
    expect(resolve(COMMANDS, ['apps', 'nope'])).toEqual({ group: 'apps', rest: ['nope'] });
    expect(resolve(COMMANDS, ['nope'])).toEqual({ group: undefined, rest: [] });
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
      for (const [name, option] of Object.entries(command.options ?? {})) expect(stdout.includes(`--${name}`)).toBe(!option.hidden);
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

async function captureMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stdin = new PassThrough();
  stdin.end();
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin,
    env: { DEPLOYCTL_CONFIG: '/nonexistent/deployctl.json' },
  });
  return { code, stdout, stderr };
}
