// Types only (erased from the build): the CLI speaks HTTP to the gateway and never loads its code.
import type { PipelineRunView, PipelineView } from '../../../libs/pipelines/pipelines.service';
import { CommandSpec, Context, integer, reply } from '../command';
import { UsageError } from '../errors';
import { table } from '../output';

const pipelinePath = (user: string, name: string) => `/1/pipelines/${encodeURIComponent(user)}/${encodeURIComponent(name)}`;

/** A stage as written on the command line: `app1,app2[@approval][@bake=10m]` (docs/contract.md#release-pipelines). */
export function parseStage(text: string): { apps: string[]; approval?: true; bake?: string } {
  const [apps, ...marks] = text.split('@');
  const stage: { apps: string[]; approval?: true; bake?: string } = { apps: apps.split(',').filter((app) => app !== '') };
  if (stage.apps.length === 0) throw new UsageError(`--stage "${text}" names no app; write app1,app2[@approval][@bake=10m].`);
  for (const mark of marks) {
    if (mark === 'approval') stage.approval = true;
    else if (mark.startsWith('bake=')) stage.bake = mark.slice('bake='.length);
    else throw new UsageError(`--stage "${text}": "${mark}" is neither approval nor bake=<duration>.`);
  }
  return stage;
}

const STATE_COLOURS: Record<string, 'green' | 'yellow' | 'red' | undefined> = {
  promoted: 'green',
  succeeded: 'green',
  compensated: 'yellow',
  promoting: 'yellow',
  compensating: 'yellow',
  awaiting_approval: 'yellow',
  failed: 'red',
  compensation_failed: 'red',
};
const paint = (out: Context['out'], state: string) => (STATE_COLOURS[state] ? out.paint(STATE_COLOURS[state], state) : state);
const release = (r?: { version: number; commit: string } | null) =>
  r ? `v${r.version} (${r.commit.slice(0, 7)})` : r === null ? 'none' : '';

/** A run: its state and why, then per stage, per app: before, what the run did, after, why. */
export function describeRun(out: Context['out'], run: PipelineRunView): string[] {
  return [
    `Run ${run.id} of ${run.pipeline}: v${run.release.version} of ${run.source}, ${paint(out, run.state)}${run.reason ? `: ${run.reason}` : ''}`,
    ...table([
      ['STAGE', 'APP', 'STATE', 'BEFORE', 'RUN', 'AFTER', 'WHY'],
      ...run.stages.flatMap((stage, index) =>
        stage.apps.map((app) => [
          String(index + 1),
          app.app,
          paint(out, app.state),
          release(app.before),
          app.release !== undefined ? `v${app.release}` : (app.deploymentId ?? ''),
          release(app.after),
          app.why ?? app.error?.message ?? '',
        ]),
      ),
    ]),
  ];
}

export const pipelinesSet: CommandSpec = {
  name: 'pipelines set',
  args: '<name>',
  summary: "Create or replace a release pipeline: a source app's releases promoted through stages of apps.",
  details: 'Each --stage is app1,app2, optionally @approval (the stage waits for its approvers) and @bake=10m, in order.',
  positionals: [1, 1],
  options: {
    source: { type: 'string', value: '<app>', help: 'the app whose releases the pipeline promotes' },
    stage: { type: 'string', multiple: true, value: '<apps>', help: 'a stage: app1,app2[@approval][@bake=10m] (repeat, in order)' },
  },
  async run(ctx, [name], flags) {
    if (typeof flags.source !== 'string') throw new UsageError('pipelines set needs --source <app>.');
    const stages = ((flags.stage as string[] | undefined) ?? []).map(parseStage);
    if (stages.length === 0) throw new UsageError('pipelines set needs at least one --stage.');
    const { api, session } = await ctx.connect();
    const saved = await api.put<PipelineView>(pipelinePath(session.user, name), { source: flags.source, stages });
    reply(ctx, flags, saved, (p) => `${p.name}: ${p.source} → ${p.stages.map((s) => s.apps.join(', ')).join(' → ')}`);
  },
};

export const pipelinesRun: CommandSpec = {
  name: 'pipelines run',
  args: '<name>',
  summary: "Run a pipeline: the source's live release (or --release N) through every stage; a failing stage is compensated.",
  positionals: [1, 1],
  options: { release: { type: 'string', value: '<n>', help: "the source's release to promote (default: the live one)" } },
  async run(ctx, [name], flags) {
    const { api, session } = await ctx.connect();
    const body = flags.release !== undefined ? { release: integer(flags, 'release', 1, 1, Number.MAX_SAFE_INTEGER) } : {};
    const run = await api.post<PipelineRunView>(`${pipelinePath(session.user, name)}/runs`, body);
    reply(
      ctx,
      flags,
      run,
      (r) => `Run ${r.id} of ${name} started: v${r.release.version} of ${r.source}. Follow it: deployctl pipelines show ${name} ${r.id}`,
    );
  },
};

export const pipelinesShow: CommandSpec = {
  name: 'pipelines show',
  args: '<name> [run]',
  summary: 'A pipeline and its latest run, or one run: per stage, per app, state, before, after, and why.',
  positionals: [1, 2],
  async run(ctx, [name, runId], flags) {
    const { api, session } = await ctx.connect();
    const path = pipelinePath(session.user, name);
    if (runId)
      return reply(ctx, flags, await api.get<PipelineRunView>(`${path}/runs/${encodeURIComponent(runId)}`), (r) => describeRun(ctx.out, r));
    const pipeline = await api.get<PipelineView>(path);
    const [latest] = await api.get<PipelineRunView[]>(`${path}/runs`, { limit: 1 });
    reply(ctx, flags, { pipeline, latest }, ({ pipeline: p, latest: r }) => [
      `${p.name}: ${p.source} → ${p.stages.map((s) => `${s.apps.join(', ')}${s.approval ? ' (approval)' : ''}${s.bake ? ` (bake ${s.bake})` : ''}`).join(' → ')}`,
      ...(r ? describeRun(ctx.out, r) : ['No run yet: deployctl pipelines run ' + p.name]),
    ]);
  },
};
