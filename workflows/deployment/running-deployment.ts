import { CancellationScope, patched } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { DeploymentRef } from '../activities';
import { GithubDeploymentTracker } from '../github-gate';
import { GITHUB_CHECKS_PATCH, GITHUB_DEPLOYMENTS_PATCH, RELEASE_LINE_PATCH } from '../patches';
import type { DeploymentInput, DeploymentState, HoldRecord, LineDecision, LineEndCode, PushSignal, TravisSignal } from '../types';
import { StatusLog } from './status-log';

/** Why a deployment was stopped before it reached the target: a cancel, the release line's end, a newer push. */
export interface Stop {
  code: LineEndCode;
  message: string;
}

/** The deployment's place in its app's release line. */
export interface LineTurn {
  /** The app whose line it joined (once its app is known). */
  app?: string;
  admitted: boolean;
  /** The deployment at the target it waits behind, as the line said last. */
  waitingFor?: { behind: string; commit: string };
  /** The line was told it is ready (by the inspect activity, workflows/deployment/tarball.ts). */
  readySent?: boolean;
}

/**
 * One deployment's state while its workflow runs: what the signals said, where it stands in its
 * release line, the status log, and which patched branches it takes. The workflow function
 * drives the stages (workflows/deployment.workflow.ts); the signal handlers only change this
 * state and cancel the pipeline's scope, so no handler runs an activity of its own.
 */
export class RunningDeployment {
  /** What the `state` query answers. */
  readonly state: DeploymentState = { step: 'received', state: 'running', attempt: 1, records: [], timings: {} };
  readonly ref: DeploymentRef;
  /** Patched branches, asked once at the start in this order (workflows/patches.ts). */
  readonly lined: boolean;
  readonly checksGate: boolean;
  readonly githubDeployments: boolean;
  /** The GitHub push: in the input, or by signal when Travis reported first. */
  push?: PushSignal;
  /** The latest Travis result: a restarted build's Passed replaces its Failed until the gate reads it. */
  travis?: TravisSignal;
  /** Moves with each check_suite / check_run / status event about the commit: the GitHub checks gate reads the checks again. */
  readonly ciWake = { count: 0 };
  readonly turn: LineTurn = { admitted: false };
  /** Set once the target may have the package: from then on neither the line nor a newer push stops it. */
  uploadStarted = false;
  /** The tarball in blob storage, freed (or kept for rollback) at the end. */
  blobId?: string;
  /** Its approval and window, once it was held by either (docs/contract.md#approvals): every later status write carries them to the record. */
  hold?: HoldRecord;
  /** The stages run in this scope; a stop cancels it. */
  readonly pipeline: CancellationScope;
  readonly statusLog: StatusLog;
  readonly githubDeployment: GithubDeploymentTracker;
  private stop?: Stop;

  constructor(readonly input: DeploymentInput) {
    this.lined = patched(RELEASE_LINE_PATCH);
    this.checksGate = patched(GITHUB_CHECKS_PATCH);
    this.githubDeployments = patched(GITHUB_DEPLOYMENTS_PATCH);
    this.ref = { deploymentId: input.deploymentId, user: input.user, repository: input.repository, commit: input.commit };
    this.push = input.push;
    this.pipeline = new CancellationScope();
    this.githubDeployment = new GithubDeploymentTracker(this.ref);
    this.statusLog = new StatusLog(this);
  }

  /** Why it was stopped, if it was; a call rather than a field, since signals set it across awaits. */
  stopped(): Stop | undefined {
    return this.stop;
  }

  pushArrived(push: PushSignal): void {
    this.push ??= push;
  }

  travisReported(travis: TravisSignal): void {
    this.travis = travis;
  }

  ciChanged(): void {
    this.ciWake.count++;
  }

  cancel(reason?: string): void {
    this.stop ??= { code: Errors.deployCanceled.code, message: `Deployment canceled${reason ? `: ${reason}` : ''}.` };
    this.pipeline.cancel();
  }

  supersede(by: string): void {
    if (this.uploadStarted || this.stop) return; // too late: the target has it already
    this.stopWith({
      code: Errors.deploySuperseded.code,
      message: `A newer push (${by}) superseded this deployment before it was uploaded.`,
    });
  }

  /** The release line admits the deployment to the target, tells it whom it waits behind, or ends it. */
  lineDecided(decision: LineDecision): void {
    if (decision.type === 'admit') this.turn.admitted = true;
    else if (decision.type === 'wait') this.turn.waitingFor = { behind: decision.behind, commit: decision.commit };
    else if (!this.uploadStarted && !this.stop) this.stopWith({ code: decision.code, message: decision.message });
  }

  private stopWith(stop: Stop): void {
    this.stop = stop;
    this.pipeline.cancel();
  }
}
