// Types only (erased from the build): the CLI speaks HTTP to the gateway and never loads its code.
import type { DeploymentView } from '../../../libs/deployments/deployments.service';
import type { StatusEntryView } from '../../../libs/status/status-entry';
import { seg } from '../api-client';
import { CommandSpec, integer, reply } from '../command';
import { Output, shortTime, statusColour, table } from '../output';
import { appRef } from './apps';

export interface DeploymentSummary {
  deployment: string;
  app: string;
  commit: string;
  provider: string;
  step: string;
  status: StatusEntryView['status'];
  detail?: string;
  started: string;
  updated: string;
}

/** Newest-first log entries to one line per deployment, the most recently active first. */
export function groupDeployments(entries: StatusEntryView[]): DeploymentSummary[] {
  const groups = new Map<string, DeploymentSummary>();
  for (const entry of entries) {
    const known = groups.get(entry.deployment);
    if (known)
      known.started = entry.ts; // older entries come later
    else {
      groups.set(entry.deployment, {
        deployment: entry.deployment,
        app: entry.app_name,
        commit: entry.commit,
        provider: entry.provider,
        step: entry.step,
        status: entry.status,
        detail: detail(entry),
        started: entry.ts,
        updated: entry.ts,
      });
    }
  }
  return [...groups.values()];
}

/** `owner/repo/sha` as `repo@sha7`. */
export function shortCommit(commit: string): string {
  const [, repo, sha] = commit.split('/');
  return repo && sha ? `${repo}@${sha.slice(0, 7)}` : commit;
}

export function detail(entry: Pick<StatusEntryView, 'message' | 'error'>): string {
  return entry.error ? `${entry.error.code}: ${entry.error.message}` : (entry.message ?? '');
}

const OUTCOME_STATUS: Record<string, StatusEntryView['status']> = {
  succeeded: 'ok',
  failed: 'error',
  canceled: 'error',
  running: 'pending',
  queued: 'pending',
  waiting_for_ci: 'pending',
  awaiting_approval: 'pending',
  waiting_for_window: 'pending',
  verifying: 'pending',
};

/** The deployment record, its live state and every step it logged. */
export function describeDeployment(out: Output, view: DeploymentView): string[] {
  const state = view.state;
  return [
    ...table([
      ['Deployment', view.id],
      ['App', view.app ?? '(not resolved yet)'],
      ['Commit', `${view.repository}@${view.commit}${view.branch ? ` (${view.branch})` : ''} via ${view.provider}`],
      [
        'State',
        state
          ? `${out.paint(statusColour(OUTCOME_STATUS[state.state]), state.state)} at step ${state.step}`
          : (view.workflowStatus ?? 'unknown'),
      ],
      ...(state?.error ? [['Error', detail(state)]] : []),
      ...(state?.state === 'verifying' && state.bake
        ? [
            [
              'Bake',
              `${state.bake.probes} health checks so far, ${state.bake.failuresInARow} of ${state.bake.failureThreshold} failures in a row; passes at ${shortTime(state.bake.endsAt)} at the earliest`,
            ],
          ]
        : []),
      ...(view.retryOf ? [['Retry of', view.retryOf]] : []),
      ['Created', shortTime(view.createdAt)],
      ['Temporal', view.temporalUi],
    ]),
    '',
    ...table([
      ['TIME', 'STEP', 'STATUS', 'DETAIL'],
      ...view.steps.map((entry) => [shortTime(entry.ts), entry.step, out.paint(statusColour(entry.status), entry.status), detail(entry)]),
    ]),
  ];
}

function listDeployments(out: Output, entries: StatusEntryView[]): string[] {
  const deployments = groupDeployments(entries);
  if (deployments.length === 0) return ['No deployments yet.'];
  return table([
    ['DEPLOYMENT', 'APP', 'COMMIT', 'STEP', 'STATUS', 'UPDATED'],
    ...deployments.map((d) => [
      d.deployment,
      d.app,
      shortCommit(d.commit),
      d.step,
      out.paint(statusColour(d.status), d.status),
      shortTime(d.updated),
    ]),
  ]);
}

export const deploysList: CommandSpec = {
  name: 'deploys list',
  args: '[app]',
  summary: 'Recent deployments from the status log, latest first.',
  positionals: [0, 1],
  options: { limit: { type: 'string', value: '<n>', help: 'status entries to read (1-100, default 100)' } },
  async run(ctx, [app], flags) {
    const { api, session } = await ctx.connect();
    const shared = app === undefined ? undefined : appRef(session.user, app);
    const path = `/1/status/${seg(shared?.owner ?? session.user)}/webhooks${shared ? `/${seg(shared.name)}` : ''}`;
    const entries = await api.get<StatusEntryView[]>(path, { limit: integer(flags, 'limit', 100, 1, 100) });
    reply(ctx, flags, entries, (raw) => listDeployments(ctx.out, raw));
  },
};

export const deploysShow: CommandSpec = {
  name: 'deploys show',
  args: '<id>',
  summary: 'One deployment: its live state, every step, and the Temporal UI link.',
  positionals: [1, 1],
  async run(ctx, [id], flags) {
    const { api } = await ctx.connect();
    reply(ctx, flags, await api.get<DeploymentView>(`/1/deployments/${seg(id)}`), (view) => describeDeployment(ctx.out, view));
  },
};

/** `POST /1/deployments/:id/<action>`: retry and cancel differ only in what they say. */
function deploymentAction(
  action: 'retry' | 'cancel',
  summary: string,
  said: (result: { id: string; status: string; retryOf?: string }) => string,
): CommandSpec {
  return {
    name: `deploys ${action}`,
    args: '<id>',
    summary,
    positionals: [1, 1],
    async run(ctx, [id], flags) {
      const { api } = await ctx.connect();
      reply(ctx, flags, await api.post<{ id: string; status: string; retryOf?: string }>(`/1/deployments/${seg(id)}/${action}`), said);
    },
  };
}

export const deploysRetry = deploymentAction(
  'retry',
  'Run a failed or canceled deployment again from its stored payload.',
  (retry) => `Deployment ${retry.id} ${retry.status} (retry of ${retry.retryOf}).`,
);
export const deploysCancel = deploymentAction(
  'cancel',
  'Cancel a deployment that has not finished.',
  (result) => `Cancel requested for deployment ${result.id}.`,
);
