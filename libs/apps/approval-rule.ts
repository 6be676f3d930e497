import type { ApprovalRule } from '../../workflows/types';
import type { AppRecord } from './apps.repository';
import type { DeployFreeze, DeployWindow } from './deploy-windows';
import { usersAllowed } from './roles';

/** An app's approval setting as stored (docs/contract.md#approvals). */
export interface ApprovalSetting {
  /** Approvals needed (default 1). */
  required?: number;
  /** Who may approve; absent: the app's approvers and admins. */
  reviewers?: string[];
  /** The one who asked may approve their own deployment (default false). */
  allowSelf?: boolean;
  /** How long a deployment waits for its approvals, e.g. `72h` (the default). */
  timeout?: string;
  /** The causes that need approval; absent: every cause but a rollback. */
  appliesTo?: string[];
}

/** The parts of an app record that hold its deployments (the DTO fields `approval`, `windows`, `freezes`). */
export interface AppHolds {
  approval?: ApprovalSetting;
  windows?: DeployWindow[];
  freezes?: DeployFreeze[];
}

/** Why a deployment was asked for: its release cause, or `retry`, `travis`, `push` for those without one. */
export interface DeploymentCause {
  user: string;
  provider: string;
  cause?: string;
  retryOf?: string;
  /** Who asked for an explicit action: a user or `token:<name>` (the app owner's token). */
  by?: string;
}

export const DEFAULT_APPROVAL_TIMEOUT = '72h';
const ROLLBACKS = ['rollback', 'auto-rollback'];

const causeOf = (d: DeploymentCause) => d.cause ?? (d.retryOf ? 'retry' : d.provider === 'travis' ? 'travis' : 'push');

/** `72h`, `30m`, `45s`, `2d` in milliseconds. */
export function approvalTimeoutMs(text: string): number {
  const match = /^([1-9][0-9]{0,5})(s|m|h|d)$/.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

/**
 * The app's approval rule as it applies to one deployment (docs/contract.md#approvals), or none:
 * no setting, or the deployment's cause is not among `appliesTo` (by default every cause but a
 * rollback). `self` is who asked: the author of an explicit action, else the app's user (whose
 * webhook or token asked).
 */
export function approvalRuleFor(
  app: Pick<AppRecord, 'user' | 'collaborators'> & AppHolds,
  deployment: DeploymentCause,
): ApprovalRule | undefined {
  const setting = app.approval;
  if (!setting) return undefined;
  const cause = causeOf(deployment);
  if (setting.appliesTo ? !setting.appliesTo.includes(cause) : ROLLBACKS.includes(cause)) return undefined;
  const asker = deployment.by && !deployment.by.startsWith('token:') ? deployment.by : deployment.user;
  return {
    required: setting.required ?? 1,
    reviewers: setting.reviewers ?? usersAllowed(app, 'approver'),
    self: [asker],
    allowSelf: setting.allowSelf ?? false,
    timeoutMs: approvalTimeoutMs(setting.timeout ?? DEFAULT_APPROVAL_TIMEOUT),
  };
}

/** Whether the app's windows or freezes hold the deployment: they have some, and it is not a rollback (docs/contract.md#deploy-windows-and-freezes). */
export function heldByWindows(app: AppHolds, deployment: DeploymentCause): boolean {
  return ((app.windows?.length ?? 0) > 0 || (app.freezes?.length ?? 0) > 0) && !ROLLBACKS.includes(causeOf(deployment));
}
