import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { Errors } from '../errors';
import { createIndexes, InjectDb, isDuplicateKey } from '../persistence';
import type { HoldRecord, Provider, ReleaseCause, Step, StatusWrite } from '../../workflows/types';

/** The record in MongoDB (docs/contract.md#the-record-in-mongodb): where a deployment stands, as the record says (never a workflow query). */
export type DeploymentRecordState =
  | 'waiting_for_ci'
  | 'queued'
  | 'running'
  | 'verifying'
  | 'succeeded'
  | 'failed'
  | 'canceled'
  | 'superseded'
  | 'stale'
  | 'awaiting_approval'
  | 'waiting_for_window';
const ENDED_STATES: readonly DeploymentRecordState[] = ['succeeded', 'failed', 'canceled', 'superseded', 'stale'];
/** Not ended yet (records of older releases carry no state: their deployments ended long ago). */
const LIVE_STATES: DeploymentRecordState[] = [
  'waiting_for_ci',
  'queued',
  'running',
  'verifying',
  'awaiting_approval',
  'waiting_for_window',
];

export interface DeploymentRecord {
  _id: string; // deployment id
  workflowId: string;
  user: string;
  repository: string; // owner/name
  commit: string;
  branch?: string;
  app?: string;
  provider: Provider;
  uuid: string; // x-api-uuid of the request that created it
  payloadId?: string; // the GitHub push payload, once known
  retryOf?: string;
  createdAt: Date;
  /** Written by the workflow's status activity at every step (docs/contract.md#the-record-in-mongodb); absent on records of older releases. */
  state?: DeploymentRecordState;
  step?: Step;
  attempt?: number;
  error?: { code: string; message: string };
  /** Sequence number of the status entry that last moved the record: an older write never overrides a newer one. */
  seq?: number;
  timings?: Partial<Record<Step, { startedAt: Date; endedAt?: Date }>>;
  updatedAt?: Date;
  endedAt?: Date;
  /** Set by the explicit actions (rollback, redeploy, env); webhooks' and retries' causes follow from provider and retryOf. */
  cause?: ReleaseCause;
  /** Who asked (a user, or `token:<name>`); absent: a webhook. */
  by?: string;
  rolledBackTo?: number;
  /** What the upload delivered: package.json's version and the env's digest (the release's fields). */
  packageVersion?: string;
  envDigest?: string;
  /** The release it made, once it succeeded (docs/contract.md#releases). */
  release?: number;
  /** A kept release tarball it deploys (rollback, redeploy): not pruned while it runs. */
  releaseBlob?: string;
  /** How its code reached the target (docs/contract.md#activate): uploaded, or a retained release activated. */
  delivered?: Delivery;
  /** Its approval (docs/contract.md#approvals): who may decide, until when, the decisions; written with its status entries. */
  approval?: HoldRecord['approval'];
  /** Its deploy window wait (docs/contract.md#deploy-windows-and-freezes): the next opening, a deploy-now. */
  window?: HoldRecord['window'];
}

/**
 * How a deployment's code reached the target, for the release it makes (docs/contract.md#activate):
 * `how`, whether the package said `retain: true`, and `receiverRelease`, the `_doc` of the DEPLOY
 * package that carried the files (the deployment's own, or for an ACTIVATE the activated one's).
 */
export interface Delivery {
  how: 'upload' | 'activate';
  retained: boolean;
  receiverRelease: string;
}

export interface PayloadRecord {
  _id: string; // X-GitHub-Delivery when given, so a redelivery is stored once
  user: string;
  provider: Provider;
  deployment: string;
  uuid: string;
  contentType?: string;
  headers: Record<string, string>;
  body: string; // the raw payload, for retry and audit
  receivedAt: Date;
}

/** The only code that reads or writes deployments and stored webhook payloads. */
@Injectable()
export class DeploymentsRepository {
  private readonly deployments: Collection<DeploymentRecord>;
  private readonly payloads: Collection<PayloadRecord>;

  constructor(@InjectDb() db: Db) {
    this.deployments = db.collection<DeploymentRecord>('deployments');
    this.payloads = db.collection<PayloadRecord>('payloads');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.deployments, [
      [{ workflowId: 1 }, { unique: true }],
      [{ user: 1, createdAt: -1 }],
      [{ user: 1, app: 1, createdAt: -1 }],
      [{ user: 1, repository: 1, branch: 1, createdAt: -1 }],
      [{ retryOf: 1 }, { sparse: true }], // countRetries
      [{ releaseBlob: 1 }, { sparse: true }], // usesReleaseBlob
      [{ state: 1, updatedAt: 1 }], // unmovedSince (the workflow-end sweep)
    ]);
    await createIndexes(this.payloads, [[{ deployment: 1 }], [{ receivedAt: 1 }] /* the retention sweep */]);
  }

  /**
   * Removes payloads received before `before` (PAYLOAD_RETENTION), except those of deployments
   * still waiting or running. Retry and the release line read the deployment record, never the
   * payload, so they work after it has gone. An explicit sweep, not a TTL index: mongo-java-server
   * has no TTL monitor, and a TTL index cannot spare a running deployment's payload.
   */
  async removeExpiredPayloads(before: Date, batchSize = 500): Promise<number> {
    let removed = 0;
    let batch: Array<Pick<PayloadRecord, '_id' | 'deployment'>> = [];
    const sweep = async () => {
      const live = await this.deployments
        .find({ _id: { $in: [...new Set(batch.map((p) => p.deployment))] }, state: { $in: LIVE_STATES } }, { projection: { _id: 1 } })
        .toArray();
      const keep = new Set(live.map((d) => d._id));
      const expired = batch.filter((p) => !keep.has(p.deployment)).map((p) => p._id);
      if (expired.length) removed += (await this.payloads.deleteMany({ _id: { $in: expired } })).deletedCount;
      batch = [];
    };
    for await (const payload of this.payloads.find({ receivedAt: { $lt: before } }, { projection: { _id: 1, deployment: 1 } })) {
      batch.push(payload);
      if (batch.length >= batchSize) await sweep();
    }
    if (batch.length) await sweep();
    return removed;
  }

  /** Stores the payload; a redelivered one (same id) is kept once. */
  async storePayload(payload: PayloadRecord): Promise<void> {
    try {
      await this.payloads.insertOne(payload);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }

  findPayload(id: string): Promise<PayloadRecord | null> {
    return this.payloads.findOne({ _id: id });
  }

  /** Inserts the deployment, or answers the one already there: never two for one key. */
  async insertOrGet(record: DeploymentRecord): Promise<{ record: DeploymentRecord; created: boolean }> {
    try {
      await this.deployments.insertOne(record);
      return { record, created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.deployments.findOne({ _id: record._id });
      if (!existing) throw error;
      return { record: existing, created: false };
    }
  }

  /** Fills in what a Travis-first deployment learns when the GitHub push arrives. */
  async attachPush(id: string, fields: { payloadId: string; branch: string; app?: string }): Promise<void> {
    await this.deployments.updateOne({ _id: id, payloadId: { $exists: false } }, { $set: fields });
  }

  /**
   * Moves the record to where a status entry says the deployment is. Guarded by the entry's
   * sequence number, so a retried or replayed write of an earlier step changes nothing (false:
   * nothing moved, an older write or no record). `live`: only a record that has not ended moves
   * (the workflow-end sweep never overrides an end).
   */
  async recordProgress(write: StatusWrite, at: Date, only: { live?: boolean } = {}): Promise<boolean> {
    const state = recordStateOf(write);
    const set: Record<string, unknown> = { state, step: write.step, seq: write.seq, updatedAt: at, attempt: write.attempt ?? 1 };
    if (write.error) set.error = write.error;
    if (write.step === 'done') set.endedAt = at;
    if (write.hold?.approval) set.approval = write.hold.approval;
    if (write.hold?.window) set.window = write.hold.window;
    const min: Record<string, Date> = { [`timings.${write.step}.startedAt`]: at };
    const max: Record<string, Date> = write.status === 'pending' ? {} : { [`timings.${write.step}.endedAt`]: at };
    const { matchedCount } = await this.deployments.updateOne(
      {
        _id: write.deploymentId,
        $or: [{ seq: { $exists: false } }, { seq: { $lt: write.seq } }],
        ...(only.live ? { state: { $in: LIVE_STATES } } : {}),
      },
      { $set: set, $min: min, ...(Object.keys(max).length ? { $max: max } : {}) },
    );
    return matchedCount === 1;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.deployments.countDocuments({ _id: id }, { limit: 1 })) > 0;
  }

  /** The app a deployment turned out to be for (known after `resolve` when no app was configured). */
  async setApp(id: string, app: string): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $set: { app } });
  }

  /** What the upload delivered, for the release a success makes. */
  async setDelivered(id: string, delivered: { packageVersion: string; envDigest: string; delivered?: Delivery }): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $set: delivered });
  }

  /** An UNDEPLOY's commit: the one of the deployment it removes, known at its turn. */
  async setCommit(id: string, commit: string): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $set: { commit } });
  }

  async setRelease(id: string, release: number): Promise<void> {
    await this.deployments.updateOne({ _id: id }, { $set: { release } });
  }

  /**
   * Deployments (and undeployments) whose record says they wait or run, and has not moved since
   * `before` (or, never moved by their workflow, was created before it): those whose workflow may
   * have ended without its end (docs/reliability.md#tenant-isolation-review). Records of older
   * releases (no state) are not listed.
   */
  unmovedSince(before: Date): Promise<Array<Pick<DeploymentRecord, '_id' | 'workflowId' | 'updatedAt'>>> {
    return this.deployments
      .find(
        {
          state: { $in: LIVE_STATES },
          $or: [{ updatedAt: { $lt: before } }, { updatedAt: { $exists: false }, createdAt: { $lt: before } }],
        },
        { projection: { _id: 1, workflowId: 1, updatedAt: 1 } },
      )
      .toArray();
  }

  /** The deployment is still waiting or running (its blob and payload are needed). */
  async isLive(id: string): Promise<boolean> {
    return (await this.deployments.countDocuments({ _id: id, state: { $in: LIVE_STATES } }, { limit: 1 })) > 0;
  }

  findById(id: string): Promise<DeploymentRecord | null> {
    return this.deployments.findOne({ _id: id });
  }

  /** `apps`: of these apps only (a collaborator's view, docs/contract.md#collaborators). */
  list(user: string, app: string | undefined, limit: number, skip: number, apps?: string[]): Promise<DeploymentRecord[]> {
    return this.deployments
      .find(app !== undefined ? { user, app } : apps !== undefined ? { user, app: { $in: apps } } : { user })
      .sort({ createdAt: -1, _id: -1 })
      .skip(skip)
      .limit(limit)
      .toArray();
  }

  /** Whether a deployment other than `except` that has not ended deploys this kept release tarball. */
  async usesReleaseBlob(blobId: string, except: string): Promise<boolean> {
    return (
      (await this.deployments.countDocuments(
        { releaseBlob: blobId, _id: { $ne: except }, state: { $nin: [...ENDED_STATES] } },
        { limit: 1 },
      )) > 0
    );
  }

  /**
   * What waits for `user`'s decision (docs/contract.md#approvals): deployments awaiting approval
   * with them among the reviewers, and deployments of their apps (or that they review) waiting
   * for a deploy window; oldest first.
   */
  waitingFor(user: string, limit: number): Promise<DeploymentRecord[]> {
    return this.deployments
      .find({
        $or: [
          { state: 'awaiting_approval', 'approval.reviewers': user },
          { state: 'waiting_for_window', $or: [{ user }, { 'approval.reviewers': user }] },
        ],
      })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }

  countRetries(id: string): Promise<number> {
    return this.deployments.countDocuments({ retryOf: id });
  }

  /** Deployments of the app with one of `causes` created since `since` (DEPLOYS_PER_APP_PER_MINUTE); the `{user, app, createdAt}` index serves it. */
  countCausedSince(user: string, app: string, causes: Array<NonNullable<DeploymentRecord['cause']>>, since: Date): Promise<number> {
    return this.deployments.countDocuments({ user, app, cause: { $in: causes }, createdAt: { $gte: since } });
  }
}

/** The record says the deployment has ended (records of older releases carry no state: not known). */
export function hasEnded(record: Pick<DeploymentRecord, 'state'>): boolean {
  return record.state !== undefined && ENDED_STATES.includes(record.state);
}

/** The record state a status entry stands for. */
export function recordStateOf(write: Pick<StatusWrite, 'step' | 'status' | 'error'>): DeploymentRecordState {
  if (write.step === 'done') {
    if (write.status === 'ok') return 'succeeded';
    switch (write.error?.code) {
      case Errors.deployCanceled.code:
        return 'canceled';
      case Errors.deploySuperseded.code:
        return 'superseded';
      case Errors.deployStale.code:
        return 'stale';
      default:
        return 'failed';
    }
  }
  if (write.step === 'waiting_for_ci' && write.status === 'pending') return 'waiting_for_ci';
  if (write.step === 'awaiting_approval' && write.status === 'pending') return 'awaiting_approval';
  if (write.step === 'waiting_for_window' && write.status === 'pending') return 'waiting_for_window';
  if ((write.step as string) === 'queued' && write.status === 'pending') return 'queued';
  // The target has the release; its health-checked bake runs (docs/contract.md#verified-releases).
  if (write.step === 'verifying') return 'verifying';
  return 'running';
}
