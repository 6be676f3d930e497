import { ApplicationFailure } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { PipelineAppRef } from '../activities';
import type {
  ApprovalAnswer,
  ApprovalDecision,
  ApprovalRequest,
  ApprovalRule,
  HoldRecord,
  PipelineAppRecord,
  PipelineRunInput,
  PipelineRunState,
} from '../types';

/** How often a deployment of the run is looked at until it ends. */
export const RUN_POLL_MS = 3_000;

export type StageApproval = NonNullable<HoldRecord['approval']> & { stage: number; rule: ApprovalRule };

/** A refusal of an Update: its type is the catalogue code the gateway answers with. */
const refuse = (code: string, message: string) => ApplicationFailure.nonRetryable(message, code);

/**
 * A run's state (as the deployment's RunningDeployment): the Update handlers only record a
 * decision; the run's stages read it. `apps` is what the run's record and report say of each app.
 */
export class RunningRun {
  readonly apps: Record<string, PipelineAppRecord> = {};
  state: PipelineRunState = 'running';
  stage = 0;
  approval?: StageApproval;

  constructor(readonly input: PipelineRunInput) {
    input.stages.forEach((stage, index) => {
      for (const app of stage.apps) this.apps[app] = { stage: index, state: 'pending' };
    });
  }

  get pollMs(): number {
    return this.input.pollMs ?? RUN_POLL_MS;
  }

  ref(app: string): PipelineAppRef {
    const { runId, user, pipeline, source, release, by } = this.input;
    return { runId, user, pipeline, app, source, release, by };
  }

  /** The Updates' validator: the stage's approval is open, the caller a reviewer, not the run's author, deciding once (docs/contract.md#approvals). */
  validate({ user }: ApprovalRequest): void {
    const approval = this.approval;
    if (!approval || approval.outcome || Date.now() >= Date.parse(approval.until))
      throw refuse(
        Errors.deployApprovalClosed.code,
        `Run ${this.input.runId} does not wait for an approval${approval?.outcome ? ` (${approval.outcome})` : ''}.`,
      );
    const { rule } = approval;
    if (!rule.reviewers.includes(user))
      throw refuse(
        Errors.deployApprovalNotReviewer.code,
        `${user} is not a reviewer of stage ${approval.stage + 1} (reviewers: ${rule.reviewers.join(', ')}).`,
      );
    if (!rule.allowSelf && rule.self.includes(user))
      throw refuse(Errors.deployApprovalSelf.code, `${user} started this run; another reviewer must decide on it.`);
    if (approval.decisions.some((d) => d.user === user))
      throw refuse(Errors.deployApprovalClosed.code, `${user} has decided on this stage already.`);
  }

  /** Records a decision (the Updates' handler): only state changes, the run's approval step logs it. */
  decide(request: ApprovalRequest, decision: ApprovalDecision['decision']): ApprovalAnswer {
    const approval = this.approval!;
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

  view() {
    const { rule: _rule, ...approval } = this.approval ?? { rule: undefined };
    return { state: this.state, stage: this.stage, apps: this.apps, ...(this.approval ? { approval } : {}) };
  }
}
