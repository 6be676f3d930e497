// The views are types only (erased from the build): the CLI speaks HTTP to the gateway and never
// loads its code; libs/apps/roles holds plain data (the role names) and no dependencies.
import type { CollaboratorsView, CollaboratorView } from '../../../libs/auth/collaborators.service';
import { APP_ROLES } from '../../../libs/apps/roles';
import { seg } from '../api-client';
import { CommandSpec, reply, str } from '../command';
import { UsageError } from '../errors';
import { shortTime, table } from '../output';
import { appPath } from './apps';

/** `--role`: one of the roles (docs/contract.md#collaborators). */
export function collaboratorRole(given: string | undefined): string {
  if (given === undefined) throw new UsageError(`--role is required: ${APP_ROLES.join(', ')}.`);
  if (!(APP_ROLES as readonly string[]).includes(given)) throw new UsageError(`--role ${given} is not one of ${APP_ROLES.join(', ')}.`);
  return given;
}

export const collaboratorsAdd: CommandSpec = {
  name: 'collaborators add',
  args: '<app> <user>',
  summary: 'Give a user a role on the app (or change their role): viewer, deployer, approver or admin.',
  options: { role: { type: 'string', value: '<role>', help: 'viewer, deployer, approver or admin' } },
  positionals: [2, 2],
  async run(ctx, [app, user], flags) {
    const role = collaboratorRole(str(flags, 'role'));
    const { api, session } = await ctx.connect();
    const added = await api.put<CollaboratorView>(`${appPath(session.user, app)}/collaborators/${seg(user)}`, { role });
    reply(ctx, flags, added, () => `${added.user} is ${added.role} of ${app}.`);
  },
};

export const collaboratorsList: CommandSpec = {
  name: 'collaborators ls',
  args: '<app>',
  summary: "List the app's owner and collaborators with their roles.",
  positionals: [1, 1],
  async run(ctx, [app], flags) {
    const { api, session } = await ctx.connect();
    const listed = await api.get<CollaboratorsView>(`${appPath(session.user, app)}/collaborators`);
    reply(ctx, flags, listed, () =>
      table([
        ['USER', 'ROLE', 'BY', 'SINCE'],
        [listed.owner, 'admin (owner)', '', ''],
        ...listed.collaborators.map((c) => [c.user, c.role, c.by ?? '', c.at ? shortTime(c.at) : '']),
      ]),
    );
  },
};

export const collaboratorsRemove: CommandSpec = {
  name: 'collaborators rm',
  args: '<app> <user>',
  summary: "Take a user's role on the app away.",
  positionals: [2, 2],
  async run(ctx, [app, user], flags) {
    const { api, session } = await ctx.connect();
    await api.delete(`${appPath(session.user, app)}/collaborators/${seg(user)}`);
    reply(ctx, flags, { app, user, removed: true }, () => `${user} is no longer a collaborator of ${app}.`);
  },
};
