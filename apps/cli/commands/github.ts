import { CommandSpec, reply, str } from '../command';
import { UsageError } from '../errors';

export const githubAuth: CommandSpec = {
  name: 'github auth',
  summary: 'Store a GitHub token for private repositories and commit statuses.',
  details:
    'The token is verified with GitHub and stored encrypted. With --app it is used only for that app\n' +
    "(commit statuses); it then cannot read private repositories, since a push's app is not known yet.",
  positionals: [0, 0],
  options: {
    credentials: { type: 'string', value: '<githubUser:token>', help: 'GitHub login and personal access token' },
    app: { type: 'string', value: '<name>', help: 'restrict the token to one app' },
  },
  async run(ctx, _args, flags) {
    const credentials = str(flags, 'credentials');
    if (!credentials) throw new UsageError('github auth needs --credentials githubUser:token.');
    const { api } = await ctx.connect();
    const result = await api.post<{ user: string; app: string; github: string }>(
      '/1/auth/github',
      { credentials },
      { app: str(flags, 'app') },
    );
    reply(ctx, flags, result, () => `GitHub user ${result.github} authorized for ${str(flags, 'app') ? `app ${result.app}` : 'all apps'}.`);
  },
};
