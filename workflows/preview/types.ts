/**
 * Shapes of the preview workflow (docs/contract.md#preview-apps), shared with its activities and
 * the gateway. Types only, as workflows/types.ts.
 */

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
export type PreviewEvent = { type: 'head'; head: PreviewHead } | { type: 'closed'; merged: boolean; receivedAt: string };

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
