// Types only (erased from the build): the CLI speaks HTTP to the gateway and never loads its code.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentView } from '../../../libs/deployments/deployments.service';
import type { ReleaseDeployment, ReleaseView } from '../../../libs/releases/releases.service';
import { ApiClient, seg } from '../api-client';
import { CommandSpec, Context, Flags, integer, reply } from '../command';
import { ApiFailure, UsageError } from '../errors';
import { shortTime, statusColour, table } from '../output';
import { appPath, AppView } from './apps';
import { detail } from './deploys';
import { Errors } from '../../../libs/errors/catalogue';

/** The app named, else the one in the current directory (its package.json's name, without a scope). */
export async function appOrHere(app: string | undefined, cwd = process.cwd()): Promise<string> {
  if (app) return app;
  const name = await readFile(join(cwd, 'package.json'), 'utf8').then(
    (text) => (JSON.parse(text) as { name?: unknown }).name,
    () => undefined,
  );
  if (typeof name !== 'string' || name === '') throw new UsageError('Name the app, or run this where its package.json is.');
  return name.replace(/^@[^/]+\//, '');
}

/** `v3` or `3` as 3. */
export function releaseNumber(text: string): number {
  const match = /^v?(\d{1,15})$/i.exec(text);
  if (!match || Number(match[1]) < 1) throw new UsageError(`${JSON.stringify(text)} is not a release like v3.`);
  return Number(match[1]);
}

/** `rollback [app] [vN]`: one argument is the release when it looks like one, else the app. */
export function rollbackArgs(args: string[]): { app?: string; release?: number } {
  if (args.length === 2) return { app: args[0], release: releaseNumber(args[1]) };
  if (args.length === 1 && /^v?\d+$/i.test(args[0])) return { release: releaseNumber(args[0]) };
  return { app: args[0] };
}

export function listReleases(out: Context['out'], releases: ReleaseView[]): string[] {
  if (releases.length === 0) return ['No releases yet: a deployment that succeeds makes v1.'];
  return table([
    ['', 'RELEASE', 'CAUSE', 'COMMIT', 'VERSION', 'BY', 'CREATED'],
    ...releases.map((r) => [
      r.live ? out.paint('green', '*') : '',
      `v${r.version}`,
      r.rolledBackTo !== undefined ? `rollback to v${r.rolledBackTo}` : r.cause,
      r.commit.slice(0, 7),
      r.appVersion,
      r.by,
      shortTime(r.createdAt),
    ]),
  ]);
}

/**
 * Follows a deployment to its end, a line per status entry as the record gains them; a failed,
 * canceled or superseded end is an ApiFailure (exit 1) with its code.
 */
export async function follow(ctx: Context, api: ApiClient, id: string, flags: Flags): Promise<DeploymentView> {
  let shown = 0;
  for (let wait = 250; ; wait = Math.min(wait * 1.5, 2_000)) {
    const view = await api.get<DeploymentView>(`/1/deployments/${seg(id)}`);
    for (const entry of view.steps.slice(shown)) {
      if (flags.json) ctx.out.json(entry, true);
      else
        ctx.out.line(
          `${shortTime(entry.ts)}  ${ctx.out.paint(statusColour(entry.status), `${entry.step.padEnd(14)} ${entry.status.padEnd(7)}`)}  ${detail(entry)}`.trimEnd(),
        );
    }
    shown = view.steps.length;
    const done = view.steps.find((entry) => entry.step === 'done');
    if (done) {
      if (done.status !== 'ok')
        throw new ApiFailure(
          done.error?.code ?? Errors.deployInternal.code,
          `Deployment ${id} did not succeed: ${detail(done)}`,
          done.uuid,
        );
      return view;
    }
    if (ctx.signal.aborted) return view;
    await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/** Starts a release action, says what it started, and follows it unless --no-follow. */
async function startAndFollow(
  ctx: Context,
  flags: Flags,
  path: string,
  body: object | undefined,
  said: (started: ReleaseDeployment) => string,
): Promise<void> {
  const { api } = await ctx.connect();
  const started = await api.post<ReleaseDeployment>(path, body);
  if (flags.json && flags['no-follow']) return ctx.out.json(started);
  if (!flags.json) ctx.out.line(said(started));
  if (flags['no-follow']) return;
  await follow(ctx, api, started.id, flags);
  if (!flags.json) ctx.out.line(`Deployment ${started.id} succeeded: it is the app's live release now.`);
}

const noFollow = { 'no-follow': { type: 'boolean' as const, help: 'start it and return, without following it' } };

export const releasesList: CommandSpec = {
  name: 'releases',
  args: '[app]',
  summary: "An app's releases, newest first; * marks the live one.",
  positionals: [0, 1],
  options: { limit: { type: 'string', value: '<n>', help: 'releases to show (1-100, default 20)' } },
  async run(ctx, [app], flags) {
    const name = await appOrHere(app);
    const { api, session } = await ctx.connect();
    const releases = await api.get<ReleaseView[]>(`${appPath(session.user, name)}/releases`, {
      limit: integer(flags, 'limit', 20, 1, 100),
    });
    reply(ctx, flags, releases, (raw) => listReleases(ctx.out, raw));
  },
};

export const rollback: CommandSpec = {
  name: 'rollback',
  args: '[app] [vN]',
  summary:
    'Deploy an earlier release again (default: the one before the live one) and follow it; the app then ignores pushes until unlock.',
  details: "Exits 1 when the rollback's deployment does not succeed.",
  positionals: [0, 2],
  options: noFollow,
  async run(ctx, args, flags) {
    const asked = rollbackArgs(args);
    const name = await appOrHere(asked.app);
    const { session } = await ctx.connect();
    await startAndFollow(
      ctx,
      flags,
      `${appPath(session.user, name)}/rollback`,
      asked.release !== undefined ? { release: asked.release } : {},
      (started) =>
        `Rolling ${name} back to v${started.release} as deployment ${started.id}; pushes are ignored until "deployctl unlock ${name}".`,
    );
  },
};

export const redeploy: CommandSpec = {
  name: 'redeploy',
  args: '[app]',
  summary: "Deploy the live release again with the app's current env, and follow it.",
  details: 'Exits 1 when the deployment does not succeed.',
  positionals: [0, 1],
  options: noFollow,
  async run(ctx, [app], flags) {
    const name = await appOrHere(app);
    const { session } = await ctx.connect();
    await startAndFollow(
      ctx,
      flags,
      `${appPath(session.user, name)}/redeploy`,
      undefined,
      (started) => `Redeploying v${started.release} of ${name} as deployment ${started.id}.`,
    );
  },
};

export const promote: CommandSpec = {
  name: 'promote',
  args: '<app> <to>',
  summary: "Deploy an app's live release to another app of its repository (e.g. staging to production), and follow it.",
  details: "The release goes through the other app's line with that app's env and target. Exits 1 when the deployment does not succeed.",
  positionals: [2, 2],
  options: noFollow,
  async run(ctx, [app, to], flags) {
    const { session } = await ctx.connect();
    await startAndFollow(
      ctx,
      flags,
      `${appPath(session.user, app)}/promote`,
      { to },
      (started) => `Promoting v${started.release} of ${app} to ${to} as deployment ${started.id}.`,
    );
  },
};

export const unlock: CommandSpec = {
  name: 'unlock',
  args: '[app]',
  summary: 'After a rollback: let pushes deploy the app again.',
  positionals: [0, 1],
  async run(ctx, [app], flags) {
    const name = await appOrHere(app);
    const { api, session } = await ctx.connect();
    reply(
      ctx,
      flags,
      await api.post<AppView>(`${appPath(session.user, name)}/unlock`),
      (view) => `${view.name} is unlocked: pushes deploy again.`,
    );
  },
};
