/**
 * Shapes shared by the deployment workflow, its activities and the gateway. Types only:
 * the workflow bundle may import nothing but @temporalio/workflow, these and the error
 * catalogue (libs/errors/catalogue.ts: pure constants).
 */
import type { Errors } from '../libs/errors/catalogue';

export type Provider = 'github' | 'travis' | 'api';
export type StatusState = 'ok' | 'error' | 'pending';

export type Step =
  | 'received'
  | 'waiting_for_ci'
  | 'resolve'
  | 'fetch'
  | 'inspect'
  | 'queued'
  | 'upload'
  | 'processing'
  | 'verifying'
  | 'done'
  /** A rollback by ACTIVATE (docs/contract.md#activate): the release made live again at the target, nothing uploaded. */
  | 'activating'
  | 'awaiting_approval'
  | 'waiting_for_window';

export interface DeploymentInput {
  deploymentId: string;
  user: string;
  /** `owner/name` */
  repository: string;
  commit: string;
  /** x-api-uuid of the request that created the deployment. */
  uuid: string;
  provider: Provider;
  retryOf?: string;
  /** UNDEPLOY asks the target to remove the app (`push.app`) and what `undeploys` deployed. */
  operation?: 'DEPLOY' | 'UNDEPLOY';
  undeploys?: string;
  /** Remove the app's configuration once the target has removed it (DELETE /1/apps/…). */
  removeApp?: boolean;
  /** The app (creation time, revision) whose removal was asked: a PUT since then, or a re-created app, is kept. */
  appVersion?: { createdAt: number; revision: number };
  /** How long to wait for Travis (and, when Travis came first, for the GitHub push). */
  ciTimeoutMs: number;
  /** Set when the deployment starts from a GitHub push (or a retry); a Travis-first start gets it by signal. */
  push?: PushSignal;
  /** Rollback, redeploy, env change (docs/contract.md#releases): the code of a release deployed again, without CI; absent before releases existed. */
  release?: ReleaseSource;
}

/** Why a release was made (docs/contract.md#releases). */
export type ReleaseCause =
  'push' | 'travis' | 'github' | 'retry' | 'rollback' | 'redeploy' | 'env' | 'promote' | 'auto-rollback' | 'pipeline';

/** What an explicit release action deploys: a release's code, from its kept tarball when there is one. */
export interface ReleaseSource {
  cause: 'rollback' | 'redeploy' | 'env' | 'promote' | 'auto-rollback' | 'pipeline';
  /** The release whose code this deploys. */
  version: number;
  /** Its package.json as read when it was deployed: no GitHub read needed. */
  package: { name: string; version: string };
  /** Its tarball, still in blob storage (inspected when it was first deployed); absent: fetched from GitHub again. */
  blobId?: string;
  /**
   * A rollback of a release the receiver retains: the `_doc` of the DEPLOY package that carried
   * its files, which an ACTIVATE makes live again (docs/contract.md#activate); absent: uploaded.
   */
  activates?: string;
}

/** Events an app's notification subscriptions choose from (docs/contract.md#notifications). */
export const DEPLOYMENT_EVENTS = [
  'deployment.queued',
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.canceled',
  'deployment.rolled_back',
  'deployment.awaiting_approval',
  'deployment.approved',
] as const;
/** A preview app's events, told to its parent app's subscribers (docs/contract.md#preview-apps). */
export const PREVIEW_EVENTS = ['preview.ready', 'preview.removed'] as const;
/** A release pipeline's run's events, told to the subscribers of its apps (docs/contract.md#release-pipelines). */
export const PIPELINE_EVENTS = ['pipeline.started', 'pipeline.succeeded', 'pipeline.failed', 'pipeline.compensated'] as const;
/** Every event a subscription may choose. */
export const NOTIFICATION_EVENTS = [...DEPLOYMENT_EVENTS, ...PREVIEW_EVENTS, ...PIPELINE_EVENTS] as const;
export type DeploymentEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface PushSignal {
  payloadId: string;
  branch: string;
  app?: string;
  /** The push's `before` (the branch's previous head) and `repository.pushed_at` (ISO): what orders the app's line (docs/contract.md#ordering-by-commit). */
  before?: string;
  pushedAt?: string;
  /** When the gateway received the push (ISO): an older commit received before a newer one was superseded, not stale. */
  receivedAt?: string;
}

export interface TravisSignal {
  passed: boolean;
  statusMessage: string;
  buildUrl?: string;
  payloadId: string;
}

/** A GitHub CI event about the deployment's commit: the gate reads the checks again instead of waiting for its next poll. */
export interface CiSignal {
  event: 'check_suite' | 'check_run' | 'status';
  summary: string;
}

export interface SupersedeSignal {
  by: string;
}

/** When the step and the deployment began (workflow time, ISO), for the worker's metrics. */
export interface StatusTiming {
  /** Set when this step logged an entry before this one. */
  stepStartedAt?: string;
  /** Set when the deployment logged an entry before this one. */
  deploymentStartedAt?: string;
  /** The entry before this one. */
  previous?: { step: Step; status: StatusState; stepStartedAt: string };
}

export interface StatusWrite {
  seq: number;
  /** Attempt number of the step (upload attempts are counted by the workflow); 1 when absent. */
  attempt?: number;
  deploymentId: string;
  user: string;
  uuid: string;
  app_name: string;
  provider: Provider;
  commit: string;
  step: Step;
  status: StatusState;
  message?: string;
  error?: { code: string; message: string };
  timing?: StatusTiming;
  /** While the deployment is held (docs/contract.md#approvals): the approval or window as it stands, for the record. */
  hold?: HoldRecord;
}

export interface DeploymentState {
  step: Step;
  state: 'running' | 'succeeded' | 'failed' | 'canceled';
  /** Attempt number of the current step (upload attempts are counted by the workflow). */
  attempt: number;
  ci?: { gated: boolean; reason: string; result?: string };
  remoteId?: string;
  app?: string;
  records: TargetRecordState[];
  timings: Partial<Record<Step, { startedAt: string; endedAt?: string }>>;
  error?: { code: string; message: string };
  /** While verifying (docs/contract.md#verified-releases): the bake's probes so far, the failures in a row, when it passes at the earliest. */
  bake?: { probes: number; failuresInARow: number; failureThreshold: number; endsAt: string };
}

export interface TargetRecordState {
  ref: string;
  state: string;
  message?: string;
}

export interface DeploymentOutcome {
  state: DeploymentState['state'];
  error?: { code: string; message: string };
}

/** Search attributes registered at worker start-up so the Temporal UI can filter deployments. */
export const SEARCH_ATTRIBUTES = {
  user: 'DeployUser',
  app: 'DeployApp',
  repository: 'DeployRepository',
  commit: 'DeployCommit',
  step: 'DeployStep',
  state: 'DeployState',
} as const;

/**
 * An app's release line (docs/contract.md#release-lines): one `line` workflow per (user, app) orders the app's
 * deployments by commit and admits them to the target one at a time.
 */
export interface LineInput {
  user: string;
  app: string;
  /** What a run hands to the next one at continue-as-new. */
  carried?: LineState;
  /** Events handled per run before continue-as-new (default 1000; tests set a few). */
  eventsPerRun?: number;
}

/** A deployment (or undeployment) as the line knows it. */
export interface LineEntry {
  deploymentId: string;
  workflowId: string;
  repository: string;
  commit: string;
  before?: string;
  pushedAt?: string;
  receivedAt?: string;
  /** Retries (and UNDEPLOY) deploy what they name: no ordering by commit (docs/contract.md#ordering-by-commit). */
  explicit: boolean;
  kind: 'deploy' | 'undeploy';
  /** An automatic rollback: it locks the app, so what waits in the line ends naming the lock (docs/contract.md#verified-releases). */
  locks?: string;
}

export interface LineHead {
  commit: string;
  repository: string;
  deploymentId: string;
  pushedAt?: string;
  receivedAt?: string;
}

export interface LineState {
  /** The newest known commit of the deploy branch. */
  head?: LineHead;
  /** Recent pushes' `after` → `before`: ancestry that needs no GitHub call. */
  chain: Array<[string, string]>;
  /** In the order they became known (rank): `pending` before the queue, `waiting` in it, `running` at the target. */
  entries: Array<LineEntry & { rank: number; stage: 'pending' | 'waiting' | 'running' | 'held' }>;
  ranks: number;
}

/** Deployment → line. */
export type LineEvent =
  | { type: 'arrive'; entry: LineEntry }
  | { type: 'ready'; deploymentId: string }
  | { type: 'leave'; deploymentId: string }
  | { type: 'hold'; deploymentId: string };

/** Line → deployment. */
export type LineDecision =
  { type: 'admit' } | { type: 'wait'; behind: string; commit: string } | { type: 'end'; code: LineEndCode; message: string };

/** How the line (or a cancel) ends a deployment before it reaches the target. */
export type LineEndCode = (typeof Errors)['deployStale' | 'deploySuperseded' | 'deployCanceled']['code'];

/** Where ancestry between two commits stands (GitHub's compare API `status`, or `unknown`). */
export type CommitComparison = 'ahead' | 'behind' | 'identical' | 'diverged' | 'unknown';

/** One decision on a deployment awaiting approval (docs/contract.md#approvals). */
export interface ApprovalDecision {
  user: string;
  decision: 'approved' | 'rejected';
  comment?: string;
  /** Workflow time, ISO. */
  at: string;
}

/** The app's approval rule as it applies to one deployment, resolved when its app is read. */
export interface ApprovalRule {
  required: number;
  /** Who may approve or reject. */
  reviewers: string[];
  /** Who asked for the deployment (the pusher's user, the token's owner, the action's author): not a reviewer of it unless `allowSelf`. */
  self: string[];
  allowSelf: boolean;
  timeoutMs: number;
}

/** The approval and window state the record keeps while a deployment is held, and after. */
export interface HoldRecord {
  approval?: {
    required: number;
    reviewers: string[];
    until: string;
    decisions: ApprovalDecision[];
    outcome?: 'approved' | 'rejected' | 'expired';
  };
  window?: { opensAt?: string; reason: string; deployedNow?: { user: string; reason: string; at: string } };
}

/** Asked of a deployment awaiting approval: the caller (the gateway checked they may read it). */
export interface ApprovalRequest {
  user: string;
  comment?: string;
}

/** What an approve or reject Update answers. */
export interface ApprovalAnswer {
  decision: ApprovalDecision['decision'];
  approvals: number;
  required: number;
  /** Approved by enough reviewers: the deployment goes on to its window and the line. */
  proceeds: boolean;
}

/** Asked of a deployment waiting for its window: go now, the reason logged; `allowed` says the gateway found the caller an approver or admin. */
export interface DeployNowRequest {
  user: string;
  reason: string;
}

/** Whether the app's windows and freezes allow deploying now, and else when they next do (docs/contract.md#deploy-windows-and-freezes). */
export interface WindowCheck {
  open: boolean;
  /** ISO; absent when open, or when nothing ever opens (a freeze without end does not exist: `to` is required). */
  opensAt?: string;
  reason: string;
}

// The preview workflow (docs/contract.md#preview-apps): shared with its activities and the gateway.

/** A head of the pull request to deploy: an `opened`, `reopened` or `synchronize` event. */
export interface PreviewHead {
  sha: string;
  /** The head branch (of the fork, for a fork's pull request). */
  ref: string;
  /** The repository the head lives in (`owner/name`); another than the base for a fork. */
  headRepository: string;
  fork: boolean;
  /** `synchronize`'s `before`: the release line's ancestry chain. */
  before?: string;
  /** When GitHub says the pull request was updated (ISO): a forced push's order. */
  pushedAt?: string;
  /** When the gateway received the event (ISO). */
  receivedAt: string;
  /** The stored event (its payload), as a push's. */
  payloadId: string;
  /** The x-api-uuid of the delivery. */
  uuid: string;
  action: string;
}

/** Why a preview is torn down. */
export type PreviewEnd = 'closed' | 'ttl' | 'reconciled';

/** Gateway → preview workflow. */
export type PreviewEvent =
  | { type: 'head'; head: PreviewHead }
  | { type: 'closed'; merged: boolean; receivedAt: string }
  | { type: 'approved'; sha: string; by: string };

export interface PreviewInput {
  user: string;
  /** The parent app. */
  app: string;
  pr: number;
  /** The base repository (`owner/name`). */
  repository: string;
  /** The preview's lifetime without a push (previews.ttl), in ms. */
  ttlMs: number;
  /** `approve`: a fork's head waits for an approval before it deploys. */
  forks: 'approve' | 'never';
  /** How often the pull request's state is read from GitHub (PREVIEWS_RECONCILE_INTERVAL; default 15 min). */
  reconcileMs?: number;
  /** What a run hands to the next one at continue-as-new. */
  carried?: PreviewCarried;
  /** Events handled per run before continue-as-new (default 500; tests set a few). */
  eventsPerRun?: number;
}

export interface PreviewCarried {
  /** Workflow time (epoch ms) of the last push: the TTL counts from it. */
  lastPushAt: number;
  /** The newest head deploying or deployed, and its deployment. */
  current?: { sha: string; deploymentId: string; ready: boolean };
  /** A fork's head waiting for an approval. */
  awaiting?: PreviewHead;
}

/** What the `previewState` query answers. */
export interface PreviewWorkflowState extends PreviewCarried {
  ending?: PreviewEnd;
  ttlEndsAt: string;
}

/** A deployment of the preview as the workflow sees it, from its record. */
export interface PreviewDeploymentState {
  ended: boolean;
  state?: string;
}

/**
 * An app's health check as the deployment runs it (docs/contract.md#verified-releases): read with
 * the app at resolve, durations in milliseconds. Small: it rides in the workflow's history.
 */
export interface HealthCheckPlan {
  url: string;
  /** Answers with a status in [min, max] pass (with `bodyIncludes` in the body, when set). */
  expectStatus: [number, number];
  bodyIncludes?: string;
  intervalMs: number;
  timeoutMs: number;
  failureThreshold: number;
  bakeMs: number;
  initialDelayMs: number;
}

/** One probe of the health URL: passed or not, and a short account of the answer for the status log. */
export interface HealthProbeResult {
  ok: boolean;
  /** e.g. `200`, `500 (body lacks "ready")`, `timed out after 5 s`, `connection refused`. */
  answer: string;
}

/** The automatic rollback a failed bake starts (docs/contract.md#verified-releases): the new deployment, or why there is none. */
export type AutoRollbackResult =
  { started: true; deploymentId: string; release: number; rolledBackTo: number } | { started: false; reason: string };

/** A stage of a release pipeline as its run follows it (docs/contract.md#release-pipelines). */
export interface PipelineStagePlan {
  apps: string[];
  /** Once every app of the stage is live: how long the run waits before the next stage, each app still live on the run's release after it. */
  bakeMs: number;
  /** The stage's approval, asked before it is promoted: the approval rule of its apps' approvers (docs/contract.md#approvals). */
  approval?: ApprovalRule;
}

/** The run of a release pipeline (docs/contract.md#release-pipelines): one release of the source app, stage by stage. */
export interface PipelineRunInput {
  runId: string;
  user: string;
  pipeline: string;
  source: string;
  /** The source app's release promoted (N of vN). */
  release: number;
  /** Who asked for the run: a user or `token:<name>`. */
  by: string;
  stages: PipelineStagePlan[];
  /** How often a deployment of the run is looked at until it ends (default 3 s). */
  pollMs?: number;
}

/** Where one app of a run stands (docs/contract.md#release-pipelines). */
export type PipelineAppState =
  'pending' | 'promoting' | 'promoted' | 'failed' | 'untouched' | 'compensating' | 'compensated' | 'left' | 'compensation_failed';

/** A release of an app as a run's report names it. */
export interface PipelineReleaseRef {
  version: number;
  commit: string;
}

/** One app's part of a run as its record keeps it: before, what the run did, after, and why. */
export interface PipelineAppRecord {
  stage: number;
  state: PipelineAppState;
  /** Its live release when the run came to it; null: it had none. */
  before?: PipelineReleaseRef | null;
  /** The run's promotion. */
  deploymentId?: string;
  /** The release the promotion made. */
  release?: number;
  error?: { code: string; message: string };
  /** The compensation's deployment (a rollback to `before`, or the app's own automatic rollback). */
  compensation?: { deploymentId: string; rolledBackTo?: number; automatic?: boolean };
  /** Its live release once the run was done with it. */
  after?: PipelineReleaseRef | null;
  why?: string;
}

export type PipelineRunState = 'running' | 'awaiting_approval' | 'baking' | 'compensating' | 'succeeded' | 'failed';

/** A change of a run's record, written by the run's workflow (only the fields named change). */
export interface PipelineRunMark {
  runId: string;
  state?: PipelineRunState;
  /** The stage the run is at (0-based). */
  stage?: number;
  reason?: string;
  apps?: Record<string, Partial<PipelineAppRecord>>;
  approval?: { stage: number } & NonNullable<HoldRecord['approval']>;
  ended?: boolean;
}

/** How a run ended. */
export interface PipelineRunOutcome {
  state: 'succeeded' | 'failed';
  /** The stage that failed (0-based). */
  stage?: number;
  reason?: string;
}

/** A deployment of a run, as its record says. */
export interface PipelineDeploymentState {
  ended: boolean;
  state?: string;
  error?: { code: string; message: string };
  /** The release it made, when it succeeded. */
  release?: number;
}

/** A promotion of a run: its deployment, or why none started; and the app's live release before it. */
export type PipelinePromotion =
  | { deploymentId: string; before: PipelineReleaseRef | null }
  | { refused: { code: string; message: string }; before: PipelineReleaseRef | null };

/** What the compensation of one app did: a rollback to its release before the run, its own automatic rollback, or nothing (and why). */
export type PipelineCompensation =
  { rolledBack: { deploymentId: string; to: number } } | { automatic: { deploymentId: string; to?: number } } | { left: string };

/** The notifications of a run (docs/contract.md#release-pipelines). */
export type PipelineEvent = (typeof PIPELINE_EVENTS)[number];
/**
 * A step's entries, numbered by the workflow, that the activity doing the step's work writes
 * (docs/performance.md#the-raw-work-baseline): `pending` before the work (absent on a retry whose
 * `pending` is written), `ok` after it. The `ok` message's `{name}` placeholders are filled from the
 * activity's answer. A step whose work takes several activities has its `pending` written by the
 * first and its `ok` by the last.
 */
export interface StepEntries {
  pending?: StatusWrite;
  ok?: StatusWrite;
  /** Told the app's line after the `ok` entry: the `ready` of a deployment whose next stage is its turn. */
  lineEvent?: { user: string; app: string; event: LineEvent };
}

/** An activity input that may carry its step's entries. */
export interface WithStepEntries {
  statusEntries?: StepEntries;
}
