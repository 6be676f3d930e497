import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { createIndexes, InjectDb } from '../persistence';
import type { HoldRecord, PipelineAppRecord, PipelineReleaseRef, PipelineRunMark, PipelineRunState } from '../../workflows/types';

/** A stage as stored: its apps, its bake, its approval (docs/contract.md#release-pipelines). */
export interface PipelineStage {
  apps: string[];
  /** e.g. `10m`; absent: none. */
  bake?: string;
  approval?: { required?: number; timeout?: string };
}

/** A release pipeline of a user: the source app and the stages its releases go through. */
export interface PipelineRecord {
  _id: string; // `${user}/${name}`
  user: string;
  name: string;
  source: string;
  repository: string;
  stages: PipelineStage[];
  createdAt: Date;
  updatedAt: Date;
  by: string;
}

/** A run of a pipeline: what `GET …/runs/:id` answers, whatever Temporal still has. */
export interface PipelineRunRecord {
  _id: string; // the run id
  user: string;
  pipeline: string;
  workflowId: string;
  source: string;
  repository: string;
  release: { version: number; commit: string };
  by: string;
  state: PipelineRunState;
  /** The stage the run is at (0-based). */
  stage: number;
  stages: PipelineStage[];
  /** Each app of the stages, by name: the run's report. */
  apps: Record<string, PipelineAppRecord>;
  approval?: { stage: number } & NonNullable<HoldRecord['approval']>;
  reason?: string;
  createdAt: Date;
  updatedAt: Date;
  endedAt?: Date;
}

export const pipelineRecordId = (user: string, name: string) => `${user}/${name}`;

/** An app's key in a run's `apps`: app names may hold `.`, which a MongoDB field path would read as nesting. */
export const runAppKey = (app: string) => app.replaceAll('.', '%2E');

/** The `pipelines` and `pipeline_runs` collections: the only code that reads or writes them. */
@Injectable()
export class PipelinesRepository {
  private readonly pipelines: Collection<PipelineRecord>;
  private readonly runs: Collection<PipelineRunRecord>;

  constructor(@InjectDb() db: Db) {
    this.pipelines = db.collection<PipelineRecord>('pipelines');
    this.runs = db.collection<PipelineRunRecord>('pipeline_runs');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.pipelines, [[{ user: 1, name: 1 }]]);
    await createIndexes(this.runs, [[{ user: 1, pipeline: 1, createdAt: -1 }]]);
  }

  find(user: string, name: string): Promise<PipelineRecord | null> {
    return this.pipelines.findOne({ _id: pipelineRecordId(user, name) });
  }

  async save(record: PipelineRecord): Promise<PipelineRecord> {
    const { createdAt, ...rest } = record;
    await this.pipelines.updateOne({ _id: record._id }, { $set: rest, $setOnInsert: { createdAt } }, { upsert: true });
    return (await this.pipelines.findOne({ _id: record._id }))!;
  }

  async remove(user: string, name: string): Promise<boolean> {
    return (await this.pipelines.deleteOne({ _id: pipelineRecordId(user, name) })).deletedCount === 1;
  }

  list(user: string, limit: number, skip: number): Promise<PipelineRecord[]> {
    return this.pipelines.find({ user }).sort({ name: 1 }).skip(skip).limit(limit).toArray();
  }

  findRun(id: string): Promise<PipelineRunRecord | null> {
    return this.runs.findOne({ _id: id });
  }

  async insertRun(run: PipelineRunRecord): Promise<void> {
    await this.runs.insertOne(run);
  }

  async removeRun(id: string): Promise<void> {
    await this.runs.deleteOne({ _id: id });
  }

  runsOf(user: string, pipeline: string, limit: number, skip: number): Promise<PipelineRunRecord[]> {
    return this.runs.find({ user, pipeline }).sort({ createdAt: -1 }).skip(skip).limit(limit).toArray();
  }

  /** A run's change as its workflow writes it: only the fields named, an app's fields one by one (writes of apps in parallel never undo each other). */
  async markRun(mark: PipelineRunMark): Promise<void> {
    const set: Record<string, unknown> = { updatedAt: new Date() };
    if (mark.state !== undefined) set.state = mark.state;
    if (mark.stage !== undefined) set.stage = mark.stage;
    if (mark.reason !== undefined) set.reason = mark.reason;
    if (mark.approval !== undefined) set.approval = mark.approval;
    if (mark.ended) set.endedAt = new Date();
    for (const [app, change] of Object.entries(mark.apps ?? {}))
      for (const [field, value] of Object.entries(change)) if (value !== undefined) set[`apps.${runAppKey(app)}.${field}`] = value;
    await this.runs.updateOne({ _id: mark.runId }, { $set: set });
  }

  /** The app's "before", written once: a second promotion attempt reads the first one's. */
  async claimBefore(runId: string, app: string, before: PipelineReleaseRef | null): Promise<PipelineReleaseRef | null> {
    await this.runs.updateOne(
      { _id: runId, [`apps.${runAppKey(app)}.before`]: { $exists: false } },
      { $set: { [`apps.${runAppKey(app)}.before`]: before ?? null } },
    );
    return (await this.runs.findOne({ _id: runId }))?.apps?.[runAppKey(app)]?.before ?? null;
  }
}
