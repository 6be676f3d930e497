// Types only (erased from the build): the CLI speaks HTTP to the gateway and never loads its code.
import type { PreviewView } from '../../../libs/previews/previews.service';
import { CommandSpec, Context, integer, reply } from '../command';
import { shortTime, table } from '../output';
import { appPath } from './apps';
import { appOrHere } from './releases';

const STATE_COLOURS: Record<string, 'green' | 'yellow' | 'red' | undefined> = {
  live: 'green',
  deploying: 'yellow',
  awaiting_approval: 'yellow',
  tearing_down: 'yellow',
  teardown_failed: 'red',
};

export function listPreviews(out: Context['out'], previews: PreviewView[]): string[] {
  if (previews.length === 0) return ['No previews: pull requests of an app with previews enabled get one (docs/contract.md#preview-apps).'];
  return [
    ...table([
      ['PR', 'PREVIEW', 'STATE', 'HEAD', 'LAST PUSH', 'WHY'],
      ...previews.map((p) => {
        const colour = STATE_COLOURS[p.state];
        return [
          `#${p.pr}${p.fork ? ' (fork)' : ''}`,
          p.name,
          colour ? out.paint(colour, p.state) : p.state,
          p.head?.sha.slice(0, 7) ?? '',
          shortTime(p.lastPushAt),
          p.reason,
        ];
      }),
    ]),
  ];
}

export const previewsList: CommandSpec = {
  name: 'previews',
  args: '[app]',
  summary: "An app's preview apps of pull requests, the newest first: state, head, and why.",
  positionals: [0, 1],
  options: { limit: { type: 'string', value: '<n>', help: 'previews to show (1-100, default 20)' } },
  async run(ctx, [app], flags) {
    const name = await appOrHere(app);
    const { api, session } = await ctx.connect();
    const previews = await api.get<PreviewView[]>(`${appPath(session.user, name)}/previews`, {
      limit: integer(flags, 'limit', 20, 1, 100),
    });
    reply(ctx, flags, previews, (raw) => listPreviews(ctx.out, raw));
  },
};
