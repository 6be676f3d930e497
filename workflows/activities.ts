import type {
  ApprovalRule,
  AutoRollbackResult,
  CommitComparison,
  DeploymentEvent,
  HealthCheckPlan,
  HealthProbeResult,
  LineEvent,
  LineHead,
  StatusWrite,
  WindowCheck,
} from './types';
import type { PreviewDeploymentState, PreviewEnd, PreviewHead } from './types';
import type {
  PipelineCompensation,
  PipelineDeploymentState,
  PipelineEvent,
  PipelinePromotion,
  PipelineReleaseRef,
  PipelineRunMark,
} from './types';
import type { WithStepEntries } from './types';

/**
 * The activities the deployment workflow calls; implemented in libs/deployments and bound
 * into the worker. Inputs and outputs are small: payloads and tarballs stay out of history
 * (blobs are passed by id).
 */
export interface DeploymentRef {
  deploymentId: string;
  user: string;
  repository: string;
  commit: string;
}

/** A deployment's end, as the workflow hands it to its bookkeeping. */
export type DeploymentEnd = DeploymentRef & {
  app?: string;
  state: string;
  blobId?: string;
  operation?: 'DEPLOY' | 'UNDEPLOY';
  removeApp?: boolean;
  appVersion?: { createdAt: number; revision: number };
};

export interface ResolvedPackage {
  name: string;
  version: string;
  engines?: Record<string, string>;
}

export interface ResolvedApp {
  app: string;
  hasTarget: boolean;
  polls: boolean;
  retain: boolean;
  /** The app's approval rule, when it applies to this deployment's cause (docs/contract.md#approvals). */
  approval?: ApprovalRule;
  /** The app has deploy windows or freezes that hold this deployment (not a rollback). */
  windowed?: boolean;
  /** The app's health check: the deployment bakes after the cut-over (docs/contract.md#verified-releases). */
  healthCheck?: HealthCheckPlan;
}

export interface FetchedTarball {
  blobId: string;
  bytes: number;
  sha256: string;
}

export interface TargetStatus {
  state: 'PENDING' | 'PROCESSING' | 'SUCCESS' | 'ERROR';
  records: Array<{ ref: string; state: string; message?: string; success?: boolean }>;
}

/** Which CI gates apply to a deployment (docs/contract.md#ci-gates): Travis, GitHub checks, or both. */
export interface CiGates {
  travis: { gated: boolean; reason: string };
  github: { gated: boolean; reason: string; requiredChecks?: string[] };
  /** The app's CI timeout; absent: the deployment's `ciTimeoutMs`. */
  timeoutMs?: number;
  /** How often the GitHub gate reads the checks when no event wakes it. */
  pollMs: number;
}

/** The GitHub checks gate's reading of a commit. */
export interface CiVerdict {
  state: 'pending' | 'success' | 'failure';
  failing: Array<{ name: string; conclusion: string; url?: string }>;
  /** Names of the checks not yet completed. */
  waiting: string[];
}

export type GithubDeploymentStatusState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/** GitHub checks and GitHub Deployments (docs/contract.md#ci-gates, docs/contract.md#github-integration); implemented in libs/deployments/github.activities.ts. */
export interface GithubActivitiesApi {
  ciGates(ref: DeploymentRef & { app?: string }): Promise<CiGates>;
  /** `waitingSince`: epoch ms when the gate began waiting (a commit with nothing reported yet waits the queued grace). */
  githubChecks(ref: DeploymentRef & { app?: string; requiredChecks?: string[]; waitingSince: number }): Promise<CiVerdict>;
  /** Creates the GitHub deployment of the commit with status `queued`; null when no token or App allows it. */
  githubDeployment(ref: DeploymentRef & { app: string }): Promise<{ id: number } | null>;
  githubDeploymentStatus(
    ref: DeploymentRef & { app: string; githubDeployment: number; state: GithubDeploymentStatusState; description: string },
  ): Promise<void>;
}

export interface DeploymentActivitiesApi {
  recordStatus(write: StatusWrite): Promise<void>;
  /** Does the repository gate on Travis (a webhook notification in .travis.yml, or the app says so)? */
  ciGate(ref: DeploymentRef & { app?: string }): Promise<{ gated: boolean; reason: string }>;
  resolvePackage(ref: DeploymentRef & WithStepEntries): Promise<ResolvedPackage>;
  /** `claimName: false` (UNDEPLOY): look the app up without claiming its name on the shared default target. */
  resolveApp(ref: DeploymentRef & { appHint?: string; packageName: string; claimName?: boolean } & WithStepEntries): Promise<ResolvedApp>;
  /**
   * An UNDEPLOY at its turn: the app's live deployment now (its `lastDeployment`) and that
   * deployment's commit, which becomes the UNDEPLOY record's commit; none when the app has none.
   */
  liveDeployment(ref: DeploymentRef & { app: string }): Promise<{ deployment?: string; commit: string }>;
  fetchTarball(ref: DeploymentRef & WithStepEntries): Promise<FetchedTarball>;
  inspectTarball(input: { blobId: string } & WithStepEntries): Promise<{ entries: number; bytes: number }>;
  /**
   * `nothingToDo`: an UNDEPLOY with nothing of this user's at the target (another user's name on the shared default target); nothing was sent.
   * `packageDoc`: the package's `_doc` when it is not the deployment id (the upload after a refused ACTIVATE).
   */
  uploadPackage(
    ref: DeploymentRef & {
      app: string;
      version: string;
      blobId?: string;
      operation: 'DEPLOY' | 'UNDEPLOY';
      undeploys?: string;
      packageDoc?: string;
    } & WithStepEntries,
  ): Promise<{ remoteId: string; nothingToDo?: string }>;
  pollTarget(input: { user: string; app: string; remoteId: string } & WithStepEntries): Promise<TargetStatus>;
  commitStatus(
    ref: DeploymentRef & { app?: string; state: 'pending' | 'success' | 'failure' | 'error'; description: string },
  ): Promise<void>;
  finishDeployment(ref: DeploymentEnd): Promise<void>;
  /**
   * A rollback by ACTIVATE (docs/contract.md#activate): the package naming the retained release
   * (`activates`) pushed without an archive. `refused`: the receiver does not know the operation
   * (a 4xx the contract lists); the workflow uploads the tarball instead.
   */
  activateRelease(ref: DeploymentRef & { app: string; version: string; activates: string } & WithStepEntries): Promise<ActivateAnswer>;
}

/** The receiver's answer to an ACTIVATE push: its id for the package, or why it refused the operation. */
export type ActivateAnswer = { remoteId: string; refused?: undefined } | { refused: string; remoteId?: undefined };

/** The release line's activities (docs/contract.md#release-lines). */
export interface LineActivitiesApi {
  /** Signal-with-start of the app's line: the deployment arrives, is ready, or leaves. */
  signalLine(input: { user: string; app: string; event: LineEvent }): Promise<void>;
  /** Where `head` stands from `base` (GitHub's compare API); `unknown` when GitHub cannot tell. */
  compareCommits(input: { user: string; app: string; repository: string; base: string; head: string }): Promise<CommitComparison>;
  /** The line's newest commit, kept in MongoDB so a new run of the line (or a deleted one) keeps ordering. */
  readLineHead(input: { user: string; app: string }): Promise<LineHead | null>;
  writeLineHead(input: { user: string; app: string; head: LineHead }): Promise<void>;
}

/** Notifications (docs/contract.md#notifications); implemented in libs/notifications. */
export interface NotificationActivitiesApi {
  /** Creates a delivery per subscription of the app to `event` and starts its workflow; idempotent (ids derive from the deployment, event and subscription). */
  notify(input: DeploymentRef & { app: string; event: DeploymentEvent; error?: { code: string; message: string } }): Promise<void>;
  /** One attempt: POSTs the stored body; throws (retryable) unless the subscriber answers 2xx. */
  deliverNotification(input: { deliveryId: string }): Promise<void>;
  deliveryGaveUp(input: { deliveryId: string; reason: string }): Promise<void>;
}

/** Deploy windows and freezes (docs/contract.md#deploy-windows-and-freezes); implemented in libs/pipeline. */
export interface WindowActivitiesApi {
  /** Reads the app's windows and freezes now and answers whether they allow deploying at `at` (ISO, workflow time), else when they next do. */
  deployWindow(input: { user: string; app: string; at: string }): Promise<WindowCheck>;
}

/** The preview of a pull request (docs/contract.md#preview-apps); implemented in libs/pipeline/preview.activities.ts. */
export interface PreviewActivitiesApi {
  /**
   * Creates the preview app when it does not exist yet and starts the deployment of `head` in its
   * line (idempotent: the deployment's id derives from the commit and the preview app); null
   * when the preview is no longer active (torn down, or its parent app's previews turned off).
   */
  deployPreviewHead(input: PreviewRef & { head: PreviewHead }): Promise<{ deploymentId: string } | null>;
  /** The preview's record says where it stands (`awaiting_approval`, `live`…) and why. */
  markPreview(
    input: PreviewRef & { state: 'awaiting_approval' | 'live' | 'failed' | 'tearing_down'; reason: string; sha?: string },
  ): Promise<void>;
  /** Where a deployment of the preview stands, from its record. */
  previewDeployment(input: { deploymentId: string }): Promise<PreviewDeploymentState>;
  /** GitHub's state of the pull request; `unknown` when GitHub does not answer (the preview stays). */
  pullRequestState(input: PreviewRef): Promise<'open' | 'closed' | 'unknown'>;
  /**
   * Cancels the preview's deployments in flight and starts its UNDEPLOY (with the removal of the
   * preview app) once: the UNDEPLOY's id is written to the preview's record before it starts, so an
   * activity run again meets the same one. `deploymentId` absent: nothing was ever deployed, the app was removed.
   */
  startPreviewTeardown(input: PreviewRef & { attempt: number; because: PreviewEnd }): Promise<{ deploymentId?: string }>;
  /** The preview's record says removed (and why); the preview app goes if it is still there; `preview.removed` is notified. */
  previewRemoved(input: PreviewRef & { because: PreviewEnd; deploymentId?: string; failed?: string }): Promise<void>;
  /** `preview.ready` to the parent app's subscribers. */
  notifyPreviewReady(input: PreviewRef & { deploymentId: string; sha: string }): Promise<void>;
}

export interface PreviewRef {
  user: string;
  app: string;
  pr: number;
  repository: string;
}

/** The health-checked bake (docs/contract.md#verified-releases); implemented in libs/pipeline/health.activities.ts. */
export interface HealthActivitiesApi {
  /** One GET of the health URL through the outbound guard, one attempt; never throws for the app's answer, only for a refused URL. */
  probeHealth(
    input: DeploymentRef & { app: string; check: Pick<HealthCheckPlan, 'url' | 'expectStatus' | 'bodyIncludes' | 'timeoutMs'> },
  ): Promise<HealthProbeResult>;
  /**
   * After a failed bake: the rollback to the release live before the deployment (cause
   * `auto-rollback`), through the manual rollback's path, which locks the app. Idempotent: the
   * failed deployment's id keys it, so a repeat answers the same rollback.
   */
  autoRollback(input: DeploymentRef & { app: string; reason: string }): Promise<AutoRollbackResult>;
}

/** An app of a release pipeline's run (docs/contract.md#release-pipelines). */
export interface PipelineAppRef {
  runId: string;
  user: string;
  pipeline: string;
  app: string;
  source: string;
  release: number;
  by: string;
}

/** A release pipeline's run (docs/contract.md#release-pipelines); implemented in libs/pipeline/pipeline-run.activities.ts. */
export interface PipelineRunActivitiesApi {
  /**
   * The app's live release (the "before", read once: asked again, the run's record answers it),
   * then the promotion of the run's release to it (`cause: pipeline`), keyed by (run, app), so a
   * retried activity meets the deployment it started. `refused`: it could not start, and why.
   */
  promotePipelineApp(input: PipelineAppRef & { stage: number }): Promise<PipelinePromotion>;
  /** Where a deployment of the run stands, from its record, and the release it made. */
  pipelineDeployment(input: { deploymentId: string; app: string; user: string }): Promise<PipelineDeploymentState>;
  /**
   * Undoes the run's change of one app when it is still the run's: a rollback to `before` keyed by
   * (run, app), without the lock; the app's own automatic rollback when its bake failed; else
   * nothing, and why (someone else changed it, or the run never did).
   */
  compensatePipelineApp(input: PipelineAppRef & { deploymentId: string; before: PipelineReleaseRef | null }): Promise<PipelineCompensation>;
  /** The app's live release now. */
  pipelineAppLive(input: { user: string; app: string }): Promise<PipelineReleaseRef | null>;
  /** The run's record: the fields named change. */
  markPipelineRun(input: PipelineRunMark): Promise<void>;
  /** `pipeline.*` to the subscribers of the pipeline's apps. */
  notifyPipeline(input: { runId: string; event: PipelineEvent }): Promise<void>;
}
