import { CommandSpec, Context, Flags, reply } from '../command';
import { appPath, AppView } from './apps';
import { parseAssignments, parseKeys, patchEnv, replaceEnv } from './env-change';

function printKeys(ctx: Context, app: AppView, flags: Flags): void {
  reply(ctx, flags, app, () => (app.envKeys.length === 0 ? `${app.name} has no environment variables.` : app.envKeys));
}

export const envSet: CommandSpec = {
  name: 'env set',
  args: '<app> KEY=VALUE...',
  summary: 'Set environment variables delivered with every deployment (like `jitsu env set`).',
  details: 'Variables not given here are kept, unless --replace.',
  positionals: [2, Infinity],
  options: { replace: { type: 'boolean', help: 'remove the variables not given here' } },
  async run(ctx, [app, ...assignments], flags) {
    const set = parseAssignments(assignments);
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
