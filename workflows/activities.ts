import type {
  AutoRollbackResult,
  CommitComparison,
  DeploymentEvent,
  HealthCheckPlan,
  HealthProbeResult,
  LineEvent,
  LineHead,
  StatusWrite,
} from './types';

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
  resolvePackage(ref: DeploymentRef): Promise<ResolvedPackage>;
  /** `claimName: false` (UNDEPLOY): look the app up without claiming its name on the shared default target. */
  resolveApp(ref: DeploymentRef & { appHint?: string; packageName: string; claimName?: boolean }): Promise<ResolvedApp>;
  /**
   * An UNDEPLOY at its turn: the app's live deployment now (its `lastDeployment`) and that
   * deployment's commit, which becomes the UNDEPLOY record's commit; none when the app has none.
   */
  liveDeployment(ref: DeploymentRef & { app: string }): Promise<{ deployment?: string; commit: string }>;
  fetchTarball(ref: DeploymentRef): Promise<FetchedTarball>;
  inspectTarball(input: { blobId: string }): Promise<{ entries: number; bytes: number }>;
  /** `nothingToDo`: an UNDEPLOY with nothing of this user's at the target (another user's name on the shared default target); nothing was sent. */
  uploadPackage(
    ref: DeploymentRef & { app: string; version: string; blobId?: string; operation: 'DEPLOY' | 'UNDEPLOY'; undeploys?: string },
  ): Promise<{ remoteId: string; nothingToDo?: string }>;
  pollTarget(input: { user: string; app: string; remoteId: string }): Promise<TargetStatus>;
  commitStatus(
    ref: DeploymentRef & { app?: string; state: 'pending' | 'success' | 'failure' | 'error'; description: string },
  ): Promise<void>;
  finishDeployment(ref: DeploymentEnd): Promise<void>;
}

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
