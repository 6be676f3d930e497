// Types only (erased from the build): the CLI speaks HTTP to the gateway and never loads its code.
import type { WaitingDeployment } from '../../../libs/deployments/approvals.service';
import type { ApprovalAnswer } from '../../../workflows/types';
import { seg } from '../api-client';
import { CommandSpec, reply, str } from '../command';
import { UsageError } from '../errors';
import { shortTime, table } from '../output';

/** What waits for the caller, one line each (docs/contract.md#approvals). */
function listWaiting(waiting: WaitingDeployment[]): string[] {
  if (waiting.length === 0) return ['Nothing waits for you.'];
  return table([
    ['DEPLOYMENT', 'APP', 'COMMIT', 'WAITS FOR', 'UNTIL', 'SINCE'],
    ...waiting.map((d) => [
      d.id,
      `${d.user}/${d.app ?? '?'}`,
      `${d.repository}@${d.commit.slice(0, 7)}`,
      d.state === 'awaiting_approval'
        ? `approval (${d.approval?.decisions.filter((x) => x.decision === 'approved').length ?? 0}/${d.approval?.required ?? 1})`
        : 'window',
      (d.state === 'awaiting_approval' ? d.approval?.until : d.window?.opensAt) ?? '',
      shortTime(d.createdAt),
    ]),
  ]);
}

export const approvals: CommandSpec = {
  name: 'approvals',
  summary: 'Deployments waiting for your decision: your approval, or a deploy window.',
  positionals: [0, 0],
  async run(ctx, _args, flags) {
    const { api } = await ctx.connect();
    reply(ctx, flags, await api.get<WaitingDeployment[]>('/1/approvals'), listWaiting);
  },
};

function decision(action: 'approve' | 'reject', summary: string): CommandSpec {
  return {
    name: action,
    args: '<id>',
    summary,
    positionals: [1, 1],
    options: { comment: { type: 'string', value: '<text>', help: 'why: kept in the status log' } },
    async run(ctx, [id], flags) {
      const { api } = await ctx.connect();
      const comment = str(flags, 'comment');
      const answer = await api.post<ApprovalAnswer>(`/1/deployments/${seg(id)}/${action}`, comment ? { comment } : {});
      reply(ctx, flags, answer, (a) =>
        a.decision === 'rejected'
          ? `Deployment ${id} rejected.`
          : `Deployment ${id} approved (${a.approvals}/${a.required})${a.proceeds ? '; it proceeds.' : '; it waits for more approvals.'}`,
      );
    },
  };
}

export const approve = decision('approve', 'Approve a deployment awaiting approval.');
export const reject = decision('reject', 'Reject a deployment awaiting approval: it ends deploy:approval:rejected.');

export const deployNow: CommandSpec = {
  name: 'deploy-now',
  args: '<id>',
  summary: 'Deploy a deployment waiting for its deploy window now (approvers and admins).',
  positionals: [1, 1],
  options: { reason: { type: 'string', value: '<text>', help: 'why it goes outside its window (required)' } },
  async run(ctx, [id], flags) {
    const reason = str(flags, 'reason');
    if (!reason) throw new UsageError('deploy-now needs --reason <text>.');
    const { api } = await ctx.connect();
    reply(
      ctx,
      flags,
      await api.post<{ id: string }>(`/1/deployments/${seg(id)}/deploy-now`, { reason }),
      () => `Deployment ${id} goes now.`,
    );
  },
};
