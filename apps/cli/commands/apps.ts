// Types only (erased from the build): the CLI speaks HTTP to the gateway and never loads its code.
import type { AppDto as AppBody } from '../../../libs/apps/app.dto';
import type { AppView } from '../../../libs/apps/apps.service';
import { ApiClient, seg } from '../api-client';
import { CommandSpec, Flags, list, readSecret, reply, secretOptions, str } from '../command';
import { isNotFound, UsageError } from '../errors';
import { table } from '../output';
import { Errors } from '../../../libs/errors/catalogue';

export type { AppView };

export async function findApp(api: ApiClient, user: string, app: string): Promise<AppView | null> {
  try {
    return await api.get<AppView>(appPath(user, app));
  } catch (error) {
    if (isNotFound(error, Errors.appsNotFound.code)) return null;
    throw error;
  }
}

/**
 * An app as the command line names it (docs/guides.md#sharing-an-app-with-your-team): `<app>`, one of the
 * signed-in user's apps, or `<owner>/<app>`, another user's app shared with them.
 */
export function appRef(user: string, app: string): { owner: string; name: string } {
  const slash = app.indexOf('/');
  if (slash < 0) return { owner: user, name: app };
  if (slash === 0 || slash === app.length - 1 || app.indexOf('/', slash + 1) >= 0)
    throw new UsageError(`${app} is neither <app> nor <owner>/<app>.`);
  return { owner: app.slice(0, slash), name: app.slice(slash + 1) };
}

/** The API path of an app named `<app>` or `<owner>/<app>` (appRef): every app-taking command goes through it. */
export function appPath(user: string, app: string): string {
  const { owner, name } = appRef(user, app);
  return `/1/apps/${seg(owner)}/${seg(name)}`;
}

/** The secrets of `apps set`, read from stdin (never from argv: readSecret). */
export interface AppSecretsIn {
  targetPassword?: string;
  webhookSecret?: string;
}

/**
 * The PUT body from the current app, the flags and the secrets. Every field the flags leave alone
 * is sent again as the API showed it; secrets and env are omitted (the API keeps them) unless
 * given. `env` only with --drop-env: then none.
 */
export function mergeApp(current: AppView | null, flags: Flags, secrets: AppSecretsIn = {}): AppBody {
  const repository = str(flags, 'repository') ?? current?.repository;
  if (!repository) throw new UsageError('A new app needs --repository owner/name.');
  const archiveFormat = str(flags, 'archive-format') ?? current?.target?.archiveFormat;
  if (archiveFormat !== undefined && archiveFormat !== 'tar.gz' && archiveFormat !== 'zip')
    throw new UsageError('--archive-format must be tar.gz or zip.');
  const ci = str(flags, 'ci') ?? current?.ci;
  if (ci !== undefined && !['auto', 'travis', 'github', 'none'].includes(ci))
    throw new UsageError('--ci must be auto, travis, github or none.');
  if (list(flags, 'required-check').length > 0 && flags['no-required-checks'])
    throw new UsageError('Give --required-check or --no-required-checks, not both.');
  const requiredChecks = flags['no-required-checks']
    ? undefined
    : list(flags, 'required-check').length > 0
      ? list(flags, 'required-check')
      : current?.requiredChecks;
  if (flags.retain && flags['no-retain']) throw new UsageError('Give --retain or --no-retain, not both.');
  if (str(flags, 'tags') !== undefined && str(flags, 'branch') !== undefined)
    throw new UsageError('An app deploys a branch or tags: give --branch or --tags, not both.');
  if (list(flags, 'path').length > 0 && flags['no-paths']) throw new UsageError('Give --path or --no-paths, not both.');
  // --branch moves a tag-deployed app back to a branch; --tags moves it to tags.
  const tags =
    str(flags, 'branch') !== undefined
      ? undefined
      : (str(flags, 'tags') ?? (current?.deployOn && 'tags' in current.deployOn ? current.deployOn.tags : undefined));
  const paths = flags['no-paths'] ? undefined : list(flags, 'path').length > 0 ? list(flags, 'path') : current?.paths;

  const targetFlags = ['target-url', 'status-url', 'target-user', 'archive-format']
    .filter((name) => str(flags, name) !== undefined)
    .concat(secrets.targetPassword !== undefined ? ['target-password-stdin'] : []);
  let target: AppBody['target'];
  if (current?.target || targetFlags.length > 0) {
    const url = str(flags, 'target-url') ?? current?.target?.url;
    if (!url) throw new UsageError(`--${targetFlags[0]} needs a deployment target: add --target-url.`);
    target = {
      url,
      statusUrl: str(flags, 'status-url') ?? current?.target?.statusUrl,
      username: str(flags, 'target-user') ?? current?.target?.username,
      password: secrets.targetPassword,
      archiveFormat: archiveFormat,
    };
  }
  return {
    repository,
    branch: tags !== undefined ? undefined : (str(flags, 'branch') ?? current?.branch),
    ...(tags !== undefined && { deployOn: { tags } }),
    ...(paths !== undefined && { paths }),
    target,
    webhookSecret: secrets.webhookSecret,
    env: flags['drop-env'] ? {} : undefined,
    retain: flags.retain ? true : flags['no-retain'] ? false : current?.retain,
    ci: ci as AppBody['ci'],
    // Sent again as shown, like every other setting: a PUT without them would drop them.
    requiredChecks,
    ciTimeout: str(flags, 'ci-timeout') ?? current?.ciTimeout,
    environment: str(flags, 'environment') ?? current?.environment,
    url: str(flags, 'url') ?? current?.url,
    // The approval rule, windows and freezes (docs/contract.md#approvals) are kept as they are.
    approval: current?.approval,
    windows: current?.windows,
    freezes: current?.freezes,
    ...healthCheckOf(current, flags),
  };
}

/** The `--health-*` flags of `apps set` and the body fields they set (docs/contract.md#verified-releases). */
const HEALTH_FLAGS = {
  'health-url': 'url',
  'health-expect': 'expectStatus',
  'health-body': 'bodyIncludes',
  'health-interval': 'interval',
  'health-timeout': 'timeout',
  'health-bake': 'bake',
  'health-initial-delay': 'initialDelay',
} as const;

/** The app's health check: the current one with the flags' changes, none after --no-health-check; sent again as shown otherwise. */
function healthCheckOf(current: AppView | null, flags: Flags): Pick<AppBody, 'healthCheck'> {
  const given = Object.keys(HEALTH_FLAGS).filter((name) => str(flags, name) !== undefined);
  const threshold = str(flags, 'health-threshold');
  if (flags['no-health-check']) {
    if (given.length > 0 || threshold !== undefined) throw new UsageError('Give --no-health-check or --health-* options, not both.');
    return {};
  }
  const check: Record<string, unknown> = { ...current?.healthCheck };
  for (const [name, field] of Object.entries(HEALTH_FLAGS)) if (str(flags, name) !== undefined) check[field] = str(flags, name);
  if (threshold !== undefined) {
    if (!/^[1-9][0-9]*$/.test(threshold)) throw new UsageError('--health-threshold must be a whole number, e.g. 3.');
    check.failureThreshold = Number(threshold);
  }
  if (Object.keys(check).length === 0) return {};
  if (check.url === undefined) throw new UsageError('A health check needs --health-url <url>.');
  return { healthCheck: check };
}

export function describeApp(app: AppView): string[] {
  const target = app.target;
  return table([
    ['App', app.name],
    [
      'Repository',
      `${app.repository}${app.deployOn && 'tags' in app.deployOn ? ` (tags ${app.deployOn.tags})` : app.branch ? ` (branch ${app.branch})` : ' (default branch)'}`,
    ],
    ...(app.paths?.length ? [['Paths', app.paths.join(', ')]] : []),
    ['Target', target ? `${target.url} [${target.archiveFormat}]` : '(service default)'],
    ...(target?.statusUrl ? [['Status URL', target.statusUrl]] : []),
    ...(target?.username ? [['Target user', `${target.username}${target.hasPassword ? ' (password set)' : ''}`]] : []),
    ['Webhook secret', app.hasWebhookSecret ? 'set' : 'not set'],
    ['Env', app.envKeys.length ? app.envKeys.join(', ') : '(none)'],
    ['Retain', String(app.retain)],
    [
      'CI',
      `${app.ci}${app.requiredChecks?.length ? ` (required: ${app.requiredChecks.join(', ')})` : ''}${app.ciTimeout ? `, timeout ${app.ciTimeout}` : ''}`,
    ],
    ...(app.healthCheck
      ? [
          [
            'Health check',
            `${app.healthCheck.url} every ${app.healthCheck.interval} for ${app.healthCheck.bake} (${app.healthCheck.failureThreshold} failures in a row roll back)`,
          ],
        ]
      : []),
    ...(app.environment || app.url ? [['GitHub environment', `${app.environment ?? app.name}${app.url ? ` (${app.url})` : ''}`]] : []),
    ['Last deployment', app.lastDeployment ?? '(none)'],
    ['Updated', app.updatedAt],
  ]);
}

export const appsSet: CommandSpec = {
  name: 'apps set',
  args: '<app>',
  summary: 'Create an app or change its settings; settings you leave out stay as they are.',
  details:
    'Environment variables are kept; --drop-env removes them all, and `deployctl env set` sets them\n' +
    '(values from stdin). Secrets come from stdin, one per command (kept when omitted), never from the\n' +
    'command line, where other users can read them with ps:\n' +
    '  printf %s "$RECEIVER_PASSWORD" | deployctl apps set web --target-password-stdin',
  positionals: [1, 1],
  options: {
    repository: { type: 'string', value: '<owner/name>', help: 'GitHub repository' },
    branch: { type: 'string', value: '<branch>', help: 'deploy branch (default: the repository default branch)' },
    tags: { type: 'string', value: '<glob>', help: 'deploy tags matching the glob (e.g. v*) instead of a branch' },
    path: {
      type: 'string',
      multiple: true,
      value: '<glob>',
      help: 'deploy only pushes changing a file matching the glob (e.g. services/api/**)',
    },
    'no-paths': { type: 'boolean', help: 'deploy every push again, whatever it changed' },
    'target-url': { type: 'string', value: '<url>', help: 'deployment receiver upload URL' },
    'status-url': { type: 'string', value: '<url>', help: 'receiver status URL ({{id}} is filled in)' },
    'target-user': { type: 'string', value: '<user>', help: 'Basic auth user for the receiver' },
    ...secretOptions('target-password', 'Basic auth password for the receiver (kept when omitted)'),
    'archive-format': { type: 'string', value: '<tar.gz|zip>', help: 'archive format sent to the receiver' },
    ...secretOptions('webhook-secret', 'GitHub webhook secret (kept when omitted)'),
    retain: { type: 'boolean', help: 'ask the receiver to keep the previous release' },
    'no-retain': { type: 'boolean', help: 'let the receiver replace the previous release' },
    ci: {
      type: 'string',
      value: '<auto|travis|github|none>',
      help: 'CI to wait for: auto (Travis when .travis.yml asks, GitHub checks when Actions workflows exist), travis, github, none',
    },
    'required-check': {
      type: 'string',
      multiple: true,
      value: '<name>',
      help: 'a GitHub check run or status context that must pass (only these count)',
    },
    'no-required-checks': { type: 'boolean', help: 'wait for every GitHub check again' },
    'ci-timeout': { type: 'string', value: '<duration>', help: "how long to wait for CI, e.g. 45m (default: the service's)" },
    environment: { type: 'string', value: '<name>', help: 'GitHub deployment environment (default: the app name)' },
    url: { type: 'string', value: '<url>', help: "where the deployed app is reached (the GitHub deployment's environment_url)" },
    env: { type: 'string', multiple: true, help: 'refused: use deployctl env set', hidden: true },
    'drop-env': { type: 'boolean', help: 'remove all environment variables' },
    'health-url': {
      type: 'string',
      value: '<url>',
      help: 'bake each deployment: poll this URL after the cut-over, roll back when it fails',
    },
    'health-expect': { type: 'string', value: '<status|range>', help: 'health answers that pass (default 200-399)' },
    'health-body': { type: 'string', value: '<text>', help: 'text a passing health answer contains' },
    'health-interval': { type: 'string', value: '<duration>', help: 'time between health probes (default 10s)' },
    'health-timeout': { type: 'string', value: '<duration>', help: 'time a health probe may take (default 5s)' },
    'health-threshold': { type: 'string', value: '<n>', help: 'failed probes in a row that roll back (default 3)' },
    'health-bake': { type: 'string', value: '<duration>', help: 'how long the bake lasts (default 2m)' },
    'health-initial-delay': { type: 'string', value: '<duration>', help: 'wait before the first probe (default 0s)' },
    'no-health-check': { type: 'boolean', help: 'deploy without a bake again' },
  },
  async run(ctx, [app], flags) {
    if (list(flags, 'env').length > 0)
      throw new UsageError(
        `--env puts values on the command line, where other users of this machine can read them (ps): set them with deployctl env set ${app}, which reads them from stdin.`,
      );
    const secrets = {
      targetPassword: await readSecret(ctx, flags, 'target-password'),
      webhookSecret: await readSecret(ctx, flags, 'webhook-secret'),
    };
    const { api, session } = await ctx.connect();
    const path = appPath(session.user, app);
    const saved = await api.put<AppView>(path, mergeApp(await findApp(api, session.user, app), flags, secrets));
    reply(ctx, flags, saved, describeApp);
  },
};

export const appsGet: CommandSpec = {
  name: 'apps get',
  args: '<app>',
  summary: "Show an app's settings (secrets and env values are never shown).",
  positionals: [1, 1],
  async run(ctx, [app], flags) {
    const { api, session } = await ctx.connect();
    reply(ctx, flags, await api.get<AppView>(appPath(session.user, app)), describeApp);
  },
};
