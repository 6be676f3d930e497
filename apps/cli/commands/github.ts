import { CommandSpec, readSecret, reply, secretOptions, str } from '../command';
import { UsageError } from '../errors';

const CREDENTIALS_ENV = 'DEPLOYCTL_GITHUB_CREDENTIALS';

export const githubAuth: CommandSpec = {
  name: 'github auth',
  summary: 'Store a GitHub token for private repositories and commit statuses.',
  details:
    'The token is verified with GitHub and stored encrypted. With --app it is used only for that app\n' +
    "(commit statuses); it then cannot read private repositories, since a push's app is not known yet.\n" +
    'The credentials come from stdin or the environment, never the command line (other users can read it with ps):\n' +
    '  printf %s "octocat:$GITHUB_TOKEN" | deployctl github auth --credentials-stdin',
  positionals: [0, 0],
  options: {
    ...secretOptions('credentials', 'GitHub login and personal access token, githubUser:token', CREDENTIALS_ENV),
    app: { type: 'string', value: '<name>', help: 'restrict the token to one app' },
  },
  async run(ctx, _args, flags) {
    const credentials = await readSecret(ctx, flags, 'credentials', CREDENTIALS_ENV);
    if (!credentials) throw new UsageError(`github auth needs githubUser:token from --credentials-stdin or $${CREDENTIALS_ENV}.`);
    const { api } = await ctx.connect();
    const result = await api.post<{ user: string; app: string; github: string }>(
      '/1/auth/github',
      { credentials },
      { app: str(flags, 'app') },
    );
    reply(ctx, flags, result, () => `GitHub user ${result.github} authorized for ${str(flags, 'app') ? `app ${result.app}` : 'all apps'}.`);
  },
};
