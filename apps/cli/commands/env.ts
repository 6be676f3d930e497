import { CommandSpec, Context, Flags, reply } from '../command';
import { appPath, AppView } from './apps';
import { UsageError } from '../errors';
import { parseEnvLines, parseKeys, patchEnv, replaceEnv } from './env-change';

function printKeys(ctx: Context, app: AppView, flags: Flags): void {
  reply(ctx, flags, app, () => (app.envKeys.length === 0 ? `${app.name} has no environment variables.` : app.envKeys));
}

export const envSet: CommandSpec = {
  name: 'env set',
  args: '<app> [KEY]',
  summary: 'Set environment variables delivered with every deployment (like `jitsu env set`), values from stdin.',
  details:
    'Values never go on the command line, where other users of this machine can read them (ps):\n' +
    '  printf %s "$API_KEY" | deployctl env set web API_KEY    one variable, its value all of stdin\n' +
    '  deployctl env set web < .env                           KEY=VALUE lines (# comments, blank lines skipped)\n' +
    'KEY=VALUE arguments are refused. Variables not given here are kept, unless --replace.',
  positionals: [1, 2],
  options: { replace: { type: 'boolean', help: 'remove the variables not given here' } },
  async run(ctx, [app, key], flags) {
    if (key?.includes('=')) {
      const name = key.slice(0, key.indexOf('='));
      throw new UsageError(
        `${name}=…: a value on the command line can be read by other users of this machine (ps); ` +
          `pipe it instead: printf %s "$VALUE" | deployctl env set ${app} ${name}`,
      );
    }
    const input = await ctx.readStdin();
    const set = key === undefined ? parseEnvLines(input) : { [parseKeys([key])[0]]: input.replace(/\r?\n$/, '') };
    const { api, session } = await ctx.connect();
    const path = appPath(session.user, app);
    const patch = flags.replace ? replaceEnv((await api.get<AppView>(path)).envKeys, set) : { set };
    printKeys(ctx, await patchEnv(api, path, patch), flags);
  },
};

export const envRm: CommandSpec = {
  name: 'env rm',
  args: '<app> KEY...',
  summary: 'Remove environment variables; the others are kept.',
  positionals: [2, Infinity],
  async run(ctx, [app, ...keys], flags) {
    const unset = parseKeys(keys);
    const { api, session } = await ctx.connect();
    printKeys(ctx, await patchEnv(api, appPath(session.user, app), { unset }), flags);
  },
};

export const envGet: CommandSpec = {
  name: 'env get',
  args: '<app>',
  summary: "List an app's environment variable names (values are write-only).",
  positionals: [1, 1],
  async run(ctx, [app], flags) {
    const { api, session } = await ctx.connect();
    printKeys(ctx, await api.get<AppView>(appPath(session.user, app)), flags);
  },
};
