import { ApplicationFailure, condition, defineUpdate, patched, setHandler } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { ResolvedApp } from '../activities';
import { APPROVALS_PATCH } from '../patches';
import { lineSignals } from '../proxies';
import type { ApprovalAnswer, ApprovalDecision, ApprovalRequest, ApprovalRule, HoldRecord } from '../types';
import { DeploymentError } from './endings';
import { notify } from './finish';
import type { RunningDeployment } from './running-deployment';

/** Approve a deployment awaiting approval: answers how many approved and whether it proceeds. */
export const approveUpdate = defineUpdate<ApprovalAnswer, [ApprovalRequest]>('approve');
/** Reject it: it ends `deploy:approval:rejected`. */
export const rejectUpdate = defineUpdate<ApprovalAnswer, [ApprovalRequest]>('reject');

type Approval = NonNullable<HoldRecord['approval']>;

/** A refusal of an Update: its type is the catalogue code the gateway answers with. */
const refuse = (code: string, message: string) => ApplicationFailure.nonRetryable(message, code);

/**
 * Whether `user` may decide now (the Updates' validator): the approval is open, they are a
 * reviewer, they did not ask for the deployment themselves (unless the app allows it), and they
 * have not decided yet (docs/contract.md#approvals).
 */
function validate(deployment: RunningDeployment, rule: ApprovalRule, approval: Approval, { user }: ApprovalRequest): void {
  if (approval.outcome || deployment.stopped() || Date.now() >= Date.parse(approval.until))
    throw refuse(
      Errors.deployApprovalClosed.code,
      `The approval of ${deployment.input.deploymentId} is closed (${approval.outcome ?? (deployment.stopped() ? 'ended' : 'expired')}).`,
    );
  if (!rule.reviewers.includes(user))
    throw refuse(
      Errors.deployApprovalNotReviewer.code,
      `${user} is not a reviewer of this deployment (reviewers: ${rule.reviewers.join(', ')}).`,
    );
  if (!rule.allowSelf && rule.self.includes(user))
    throw refuse(Errors.deployApprovalSelf.code, `${user} asked for this deployment; another reviewer must decide on it.`);
  if (approval.decisions.some((d) => d.user === user))
    throw refuse(Errors.deployApprovalClosed.code, `${user} has decided on this deployment already.`);
}

/** Records a decision (the Updates' handler): only state changes, the stage logs it. */
function decide(approval: Approval, request: ApprovalRequest, decision: ApprovalDecision['decision']): ApprovalAnswer {
  approval.decisions.push({
    user: request.user,
    decision,
    ...(request.comment ? { comment: request.comment } : {}),
    at: new Date().toISOString(),
  });
  const approvals = approval.decisions.filter((d) => d.decision === 'approved').length;
  if (decision === 'rejected') approval.outcome = 'rejected';
  else if (approvals >= approval.required) approval.outcome = 'approved';
  return { decision, approvals, required: approval.required, proceeds: approval.outcome === 'approved' };
}

const decisionMessage = (d: ApprovalDecision) =>
  `${d.decision === 'approved' ? 'Approved' : 'Rejected'} by ${d.user}${d.comment ? `: ${d.comment}` : '.'}`;

/**
 * The `awaiting_approval` stage (docs/contract.md#approvals): after inspect, before the line, a
 * deployment of an app whose approval rule applies to it waits, on a durable timer, for enough
 * approvals, a rejection, or the rule's timeout. The line is told it is held, so a newer push
 * supersedes it; each decision is a status entry and part of the record.
 */
export async function awaitApproval(deployment: RunningDeployment, app: ResolvedApp): Promise<void> {
  const rule = app.approval;
  if (!rule || !patched(APPROVALS_PATCH)) return;
  const { input, statusLog, turn } = deployment;
  const until = Date.now() + rule.timeoutMs;
  const approval: Approval = { required: rule.required, reviewers: rule.reviewers, until: new Date(until).toISOString(), decisions: [] };
  deployment.hold = { ...deployment.hold, approval };
  const validator = (request: ApprovalRequest) => validate(deployment, rule, approval, request);
  setHandler(approveUpdate, (request) => decide(approval, request, 'approved'), { validator });
  setHandler(rejectUpdate, (request) => decide(approval, request, 'rejected'), { validator });

  await statusLog.record(
    'awaiting_approval',
    'pending',
    `Awaiting ${rule.required} approval${rule.required === 1 ? '' : 's'} to deploy ${input.repository}@${input.commit.slice(0, 7)} as ${app.app}, from ${rule.reviewers.join(', ')}, until ${approval.until}.`,
  );
  if (turn.app)
    await lineSignals.signalLine({ user: input.user, app: turn.app, event: { type: 'hold', deploymentId: input.deploymentId } });
  await notify(deployment, 'deployment.awaiting_approval', app.app);

  let logged = 0;
  for (;;) {
    const left = until - Date.now();
    const decided = approval.decisions.length > logged || (left > 0 && (await condition(() => approval.decisions.length > logged, left)));
    // A decision the same workflow task brought with the timer's firing counts: it was answered as taken.
    if (!decided && approval.decisions.length === logged) {
      approval.outcome = 'expired';
      throw new DeploymentError(Errors.deployApprovalExpired.code, `No decision on this deployment came by ${approval.until}; it expired.`);
    }
    while (logged < approval.decisions.length) {
      const decision = approval.decisions[logged++];
      const last = logged === approval.decisions.length;
      if (!last || !approval.outcome) await statusLog.record('awaiting_approval', 'pending', decisionMessage(decision));
    }
    const final = approval.decisions[approval.decisions.length - 1];
    if (approval.outcome === 'rejected') throw new DeploymentError(Errors.deployApprovalRejected.code, decisionMessage(final));
    if (approval.outcome === 'approved') {
      await statusLog.record('awaiting_approval', 'ok', decisionMessage(final));
      await notify(deployment, 'deployment.approved', app.app);
      return;
    }
  }
}
