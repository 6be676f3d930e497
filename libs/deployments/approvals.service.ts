import { Injectable } from '@nestjs/common';
import { allows, AppsService, roleOf } from '../apps';
import type { Principal } from '../auth';
import { ApiError, Errors, storeCall } from '../errors';
import type { ApprovalAnswer } from '../../workflows/types';
import { DeploymentWorkflowsClient, UpdateRefusal } from './deployment-workflows.client';
import { DeploymentRecord, DeploymentsRepository } from './deployments.repository';

/** A deployment that waits for a decision, as the approvals list shows it. */
export interface WaitingDeployment {
  id: string;
  user: string;
  app?: string;
  repository: string;
  commit: string;
  state: 'awaiting_approval' | 'waiting_for_window';
  cause?: string;
  by?: string;
  approval?: DeploymentRecord['approval'];
  window?: DeploymentRecord['window'];
  createdAt: string;
}

const MAX_WAITING = 200;

/**
 * Approvals and deploy-now (docs/contract.md#approvals): the record says whether a deployment
 * waits and who may see it; the deployment's workflow decides through its Updates' validators,
 * so the answer is the decision's outcome.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly workflows: DeploymentWorkflowsClient,
    private readonly apps: AppsService,
  ) {}

  async decide(principal: Principal, id: string, decision: 'approve' | 'reject', comment?: string): Promise<ApprovalAnswer> {
    const record = await this.readable(principal, id);
    if (record.state !== 'awaiting_approval') throw closed(id, record);
    return answered(await this.workflows.decide(record.workflowId, decision, { user: principal.user, ...(comment ? { comment } : {}) }));
  }

  /** Deploys a deployment waiting for its window now, an approver's or admin's call, the reason logged. */
  async deployNow(principal: Principal, id: string, reason: string): Promise<{ id: string; proceeds: true }> {
    const record = await this.readable(principal, id);
    const app = record.app ? await this.db(() => this.apps.forName(record.user, record.app!)) : null;
    const mayDecide = principal.admin || record.user === principal.user || (app && allows(roleOf(app.record, principal.user), 'approver'));
    if (!mayDecide) {
      throw ApiError.of(
        Errors.deployApprovalNotReviewer,
        `${principal.user} is not an approver of ${record.app}; only approvers and admins deploy now.`,
      );
    }
    if (record.state !== 'waiting_for_window') throw closed(id, record);
    answered(await this.workflows.deployNow(record.workflowId, { user: principal.user, reason }));
    return { id, proceeds: true };
  }

  /** What waits for the caller's decision, oldest first. */
  async waiting(principal: Principal): Promise<WaitingDeployment[]> {
    const records = await this.db(() => this.deployments.waitingFor(principal.user, MAX_WAITING));
    return records.map((r) => ({
      id: r._id,
      user: r.user,
      app: r.app,
      repository: r.repository,
      commit: r.commit,
      state: r.state as WaitingDeployment['state'],
      cause: r.cause,
      by: r.by,
      approval: r.approval,
      window: r.window,
      createdAt: r.createdAt.toISOString(),
    }));
  }

  /** The deployment, when the caller may read it: its user, an admin, or anyone with a role on its app; else 404 as if absent. */
  private async readable(principal: Principal, id: string): Promise<DeploymentRecord> {
    const record = await this.db(() => this.deployments.findById(id));
    if (record && (record.user === principal.user || principal.admin)) return record;
    if (record?.app) {
      const app = await this.db(() => this.apps.forName(record.user, record.app!));
      if (app && roleOf(app.record, principal.user)) return record;
    }
    throw ApiError.of(Errors.deploymentsNotFound, `No deployment ${id}.`);
  }

  private db<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.deploymentsDbFailed, operation);
  }
}

const closed = (id: string, record: DeploymentRecord) =>
  ApiError.of(Errors.deployApprovalClosed, `Deployment ${id} is ${record.state ?? 'not waiting'}; it does not wait for this decision.`);

const REFUSALS = [Errors.deployApprovalNotReviewer, Errors.deployApprovalSelf, Errors.deployApprovalClosed];

/** An Update's outcome, or its refusal as the catalogued error the validator named (docs/contract.md#approvals). */
export function answered<T extends object>(outcome: T | UpdateRefusal): T {
  if (!('refused' in outcome)) return outcome;
  throw ApiError.of(REFUSALS.find((entry) => entry.code === outcome.refused) ?? Errors.deployApprovalClosed, outcome.message);
}
