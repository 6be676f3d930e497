import { seg } from '../api-client';
import { CommandSpec, reply } from '../command';
import { shortTime, table } from '../output';

interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

const tokensPath = (user: string) => `/1/users/${seg(user)}/tokens`;

export const tokensCreate: CommandSpec = {
  name: 'tokens create',
  args: '<name>',
  summary: 'Create an API token (for webhooks or CI); the secret is shown once.',
  positionals: [1, 1],
  async run(ctx, [name], flags) {
    const { api, session } = await ctx.connect();
    const created = await api.post<TokenView & { token: string }>(tokensPath(session.user), { name });
    if (flags.json) return ctx.out.json(created);
    ctx.out.line(created.token);
    ctx.out.note(`Token ${created.id} (${created.name}) created. Copy it now: it is never shown again.`);
  },
};

export const tokensList: CommandSpec = {
  name: 'tokens list',
  summary: 'List your API tokens (without their secrets).',
  positionals: [0, 0],
  async run(ctx, _args, flags) {
    const { api, session } = await ctx.connect();
    const tokens = await api.get<TokenView[]>(tokensPath(session.user));
    reply(ctx, flags, tokens, () =>
      tokens.length === 0
        ? 'No API tokens.'
        : table([
            ['ID', 'NAME', 'CREATED', 'LAST USED', 'STATE'],
            ...tokens.map((token) => [
              token.id,
              token.name,
              shortTime(token.createdAt),
              shortTime(token.lastUsedAt) || '-',
              token.revokedAt ? ctx.out.paint('red', `revoked ${shortTime(token.revokedAt)}`) : ctx.out.paint('green', 'active'),
            ]),
          ]),
    );
  },
};

export const tokensRevoke: CommandSpec = {
  name: 'tokens revoke',
  args: '<id>',
  summary: 'Revoke an API token; requests using it fail from now on.',
  positionals: [1, 1],
  async run(ctx, [id], flags) {
    const { api, session } = await ctx.connect();
    await api.delete(`${tokensPath(session.user)}/${seg(id)}`);
    reply(ctx, flags, { id, revoked: true }, () => `Token ${id} revoked.`);
  },
};
