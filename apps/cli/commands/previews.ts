// Types only (erased from the build): the CLI speaks HTTP to the gateway and never loads its code.
import type { PreviewApprovalAnswer, PreviewView } from '../../../libs/previews/previews.service';
import { CommandSpec, Context, integer, reply, str } from '../command';
import { UsageError } from '../errors';
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

/** `<pr>`: a pull request number, `12` or `#12`. */
export function pullRequestNumber(text: string): number {
  const match = /^#?([1-9]\d{0,9})$/.exec(text);
  if (!match) throw new UsageError(`${text} is not a pull request number.`);
  return Number(match[1]);
}

export const previewsApprove: CommandSpec = {
  name: 'previews approve',
  args: '<app> <pr>',
  summary: "Approve the fork's head that waits in a pull request's preview: it deploys (each push of a fork waits again).",
  details:
    "Only the app's reviewers approve (its approval.reviewers, else its approvers and admins). There is no rejection:\n" +
    'a head not approved just waits; closing the pull request tears the preview down.',
  positionals: [2, 2],
  options: {
    sha: { type: 'string', value: '<sha>', help: 'the head approved (default: the one waiting now)' },
    comment: { type: 'string', value: '<text>', help: "why, kept in the preview's record" },
  },
  async run(ctx, [app, pr], flags) {
    const number = pullRequestNumber(pr);
    const sha = str(flags, 'sha');
    const comment = str(flags, 'comment');
    const { api, session } = await ctx.connect();
    const answer = await api.post<PreviewApprovalAnswer>(`${appPath(session.user, app)}/previews/${number}/approve`, {
      ...(sha ? { sha } : {}),
      ...(comment ? { comment } : {}),
    });
    reply(ctx, flags, answer, () => `${answer.sha.slice(0, 7)} of pull request #${answer.pr} deploys to ${answer.preview}.`);
  },
};
