import { hostname } from 'node:os';
import { ApiClient, seg } from '../api-client';
import { CommandSpec, Context, readSecret, secretOptions, str } from '../command';
import { Session } from '../config-store';
import { ApiFailure, UsageError } from '../errors';
import { formatFailure } from '../output';

interface CreatedToken {
  id: string;
  token: string;
}

const TOKEN_ENV = 'DEPLOYCTL_TOKEN';

export const login: CommandSpec = {
  name: 'login',
  summary: 'Sign in to a gateway and keep an API token in your config directory.',
  details:
    'With a password, login creates an API token named "deployctl <host>" and stores only that token\n' +
    '(mode 0600; logout revokes it). With a token, the token is checked and stored as given.\n' +
    'Secrets never go on the command line (other users can read it with ps): pipe them in, e.g.\n' +
    '  printf %s "$TOKEN" | deployctl login --url <gateway> --user <user> --token-stdin\n' +
    'or set $DEPLOYCTL_TOKEN. --password and --token with a value are refused.\n' +
    'Config: $DEPLOYCTL_CONFIG, else $XDG_CONFIG_HOME/deployctl/config.json, else ~/.config/deployctl/config.json.',
  positionals: [0, 0],
  options: {
    url: { type: 'string', value: '<gateway>', help: 'gateway base URL, e.g. https://deploy.example.com' },
    user: { type: 'string', value: '<user>', help: 'your user name' },
    ...secretOptions('password', 'your password (exchanged for an API token)'),
    ...secretOptions('token', 'an existing API token', TOKEN_ENV),
  },
  async run(ctx, _args, flags) {
    const url = gatewayUrl(str(flags, 'url'));
    const user = str(flags, 'user');
    if (!user) throw new UsageError('login needs --user.');
    const password = await readSecret(ctx, flags, 'password');
    // $DEPLOYCTL_TOKEN only when no password is given: an explicit --password-stdin wins over the environment.
    const token = await readSecret(ctx, flags, 'token', password === undefined ? TOKEN_ENV : undefined);
    if ((token === undefined) === (password === undefined))
      throw new UsageError(`login needs one of --password-stdin, --token-stdin or $${TOKEN_ENV}.`);

    let session: Session;
    if (token !== undefined) {
      // Any authenticated read proves the token; the status log is one every user may read.
      await new ApiClient(url, user, token).get(`/1/status/${seg(user)}/webhooks`, { limit: 1 });
      session = { url, user, token };
    } else {
      const api = new ApiClient(url, user, password!);
      const created = await api.post<CreatedToken>(`/1/users/${seg(user)}/tokens`, { name: `deployctl ${hostname()}`.slice(0, 100) });
      session = { url, user, token: created.token, tokenId: created.id };
    }
    const previous = await ctx.store.load().catch(() => null);
    await ctx.store.save(session);
    if (previous?.tokenId && previous.tokenId !== session.tokenId) await revoke(ctx, previous);
    if (flags.json) ctx.out.json({ url, user, config: ctx.store.path });
    else ctx.out.line(`Logged in to ${url} as ${user}. Credentials saved in ${ctx.store.path}.`);
  },
};

export const logout: CommandSpec = {
  name: 'logout',
  summary: 'Forget the stored credentials (and revoke the token login created).',
  positionals: [0, 0],
  async run(ctx) {
    const session = await ctx.store.load();
    if (!session) return ctx.out.line('Not logged in.');
    if (session.tokenId) await revoke(ctx, session);
    await ctx.store.remove();
    ctx.out.line(`Logged out of ${session.url}.`);
  },
};

/** Best effort: an unreachable gateway must not keep a user from deleting local credentials. */
async function revoke(ctx: Context, session: Session): Promise<void> {
  try {
    await new ApiClient(session.url, session.user, session.token).delete(`/1/users/${seg(session.user)}/tokens/${seg(session.tokenId!)}`);
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    ctx.out.note(`warning: could not revoke API token ${session.tokenId}: ${formatFailure(error)}`);
  }
}

function gatewayUrl(raw: string | undefined): string {
  if (!raw) throw new UsageError('login needs --url <gateway>.');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url ${raw} is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be an http:// or https:// URL.');
  return url.toString().replace(/\/+$/, '');
}
