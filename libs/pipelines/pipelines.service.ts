import { Injectable } from '@nestjs/common';
import { AppRecord, AppsRepository, usersAllowed } from '../apps';
import { approvalTimeoutMs, DEFAULT_APPROVAL_TIMEOUT } from '../apps/approval-rule';
import { AppAccess, Principal } from '../auth';
import { askedBy } from '../auth/asked-by';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { pipelineRunId, pipelineRunWorkflowId } from '../deployments/workflow-ids';
import { ApiError, Errors, storeCall } from '../errors';
import { canonicalRepository } from '../github/names';
import { ReleasesRepository } from '../releases/releases.repository';
import type { ApprovalAnswer, ApprovalRule, PipelineRunInput, PipelineStagePlan } from '../../workflows/types';
import { PIPELINE_NAME, PipelineDto, PipelineRunDto } from './pipeline.dto';
import { PipelineRecord, pipelineRecordId, PipelineRunRecord, PipelinesRepository, PipelineStage, runAppKey } from './pipelines.repository';

/** A pipeline as the API shows it. */
export type PipelineView = Omit<PipelineRecord, '_id' | 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

/** A run as the API shows it: per stage, per app, state; the report (before, what the run did, after, why). */
export interface PipelineRunView {
  id: string;
  pipeline: string;
  user: string;
  source: string;
  release: { version: number; commit: string };
  by: string;
  state: PipelineRunRecord['state'];
  stage: number;
  reason?: string;
  approval?: PipelineRunRecord['approval'];
  stages: Array<{ apps: Array<{ app: string } & PipelineRunRecord['apps'][string]>; bake?: string; approval?: boolean }>;
  createdAt: string;
  endedAt?: string;
}

const MAX_BAKE_MS = 24 * 3_600_000;
const bad = (message: string) => ApiError.of(Errors.pipelinesBadStages, message);

/**
 * Release pipelines (docs/contract.md#release-pipelines): the gateway's side. A pipeline names a
 * source app and stages of apps of its repository; a run promotes one release of the source
 * through them in the `pipelineRun` workflow, which writes the run's record.
 */
@Injectable()
export class PipelinesService {
  constructor(
    private readonly pipelines: PipelinesRepository,
    private readonly apps: AppsRepository,
    private readonly access: AppAccess,
    private readonly releases: ReleasesRepository,
    private readonly workflows: DeploymentWorkflowsClient,
  ) {}

  async put(principal: Principal, user: string, name: string, dto: PipelineDto): Promise<PipelineView> {
    if (!PIPELINE_NAME.test(name))
      throw ApiError.of(Errors.requestInvalid, `${name} is not a pipeline name: as an app's (letters, digits, . _ -).`);
    const stages = dto.stages.map((stage, index) => checkedStage(stage, index));
    const source = await this.checkApps(principal, user, dto.source, stages);
    const now = new Date();
    const saved = await this.db(() =>
      this.pipelines.save({
        _id: pipelineRecordId(user, name),
        user,
        name,
        source: dto.source,
        repository: source.repository,
        stages,
        createdAt: now,
        updatedAt: now,
        by: askedBy(principal),
      }),
    );
    return view(saved);
  }

  async get(principal: Principal, user: string, name: string): Promise<PipelineView> {
    return view(await this.readable(principal, user, name));
  }

  async list(principal: Principal, user: string, limit: number, skip: number): Promise<PipelineView[]> {
    const all = await this.db(() => this.pipelines.list(user, limit, skip));
    const readable = await this.access.readable(principal, user);
    if (readable === 'all') return all.map(view);
    return all.filter((p) => readable?.includes(p.source)).map(view);
  }

  async remove(principal: Principal, user: string, name: string): Promise<void> {
    const pipeline = await this.readable(principal, user, name);
    await this.requireOnAll(principal, pipeline.user, pipeline.source, pipeline.stages);
    await this.db(() => this.pipelines.remove(user, name));
  }

  /** Starts a run: one at a time per pipeline (Temporal refuses a second start while one runs: 409). */
  async run(principal: Principal, user: string, name: string, dto: PipelineRunDto, uuid: string): Promise<PipelineRunView> {
    const pipeline = await this.readable(principal, user, name);
    const source = await this.checkApps(principal, user, pipeline.source, pipeline.stages);
    const release =
      dto.release !== undefined
        ? await this.db(() => this.releases.find(user, pipeline.source, dto.release!))
        : await this.db(() => this.releases.live(user, pipeline.source));
    if (!release)
      throw ApiError.of(
        Errors.appsReleaseNotFound,
        dto.release !== undefined
          ? `${pipeline.source} has no release v${dto.release}.`
          : `${pipeline.source} has no live release to promote.`,
      );
    const apps = await this.stageApps(user, pipeline.stages);
    const by = askedBy(principal);
    const id = pipelineRunId(user, name, uuid);
    const workflowId = pipelineRunWorkflowId(user, name);
    const input: PipelineRunInput = {
      runId: id,
      user,
      pipeline: name,
      source: source.name,
      release: release.version,
      by,
      stages: pipeline.stages.map((stage) => plan(stage, apps, principal.user)),
    };
    const now = new Date();
    const record: PipelineRunRecord = {
      _id: id,
      user,
      pipeline: name,
      workflowId,
      source: source.name,
      repository: source.repository,
      release: { version: release.version, commit: release.commit },
      by,
      state: 'running',
      stage: 0,
      stages: pipeline.stages,
      apps: Object.fromEntries(
        pipeline.stages.flatMap((stage, index) => stage.apps.map((app) => [runAppKey(app), { stage: index, state: 'pending' }])),
      ),
      reason: 'Starting.',
      createdAt: now,
      updatedAt: now,
    };
    await this.db(() => this.pipelines.insertRun(record));
    let started: 'started' | 'running';
    try {
      started = await this.workflows.startPipelineRun(workflowId, input);
    } catch (error) {
      await this.pipelines.removeRun(id).catch(() => undefined);
      throw error;
    }
    if (started === 'running') {
      await this.pipelines.removeRun(id).catch(() => undefined);
      throw ApiError.of(Errors.pipelinesRunInProgress, `A run of ${name} is in progress; start another once it has ended.`);
    }
    return runView(record);
  }

  async getRun(principal: Principal, user: string, name: string, id: string): Promise<PipelineRunView> {
    await this.readable(principal, user, name);
    const run = await this.db(() => this.pipelines.findRun(id));
    if (!run || run.user !== user || run.pipeline !== name) throw ApiError.of(Errors.pipelinesRunNotFound, `${name} has no run ${id}.`);
    return runView(run);
  }

  async runs(principal: Principal, user: string, name: string, limit: number, skip: number): Promise<PipelineRunView[]> {
    await this.readable(principal, user, name);
    return (await this.db(() => this.pipelines.runsOf(user, name, limit, skip))).map(runView);
  }

  /** A stage's approve or reject: the run's workflow validates it (reviewers, not the run's author, once each). */
  async decide(
    principal: Principal,
    user: string,
    name: string,
    id: string,
    decision: 'approve' | 'reject',
    comment?: string,
  ): Promise<ApprovalAnswer> {
    const run = await this.getRun(principal, user, name, id);
    if (run.state !== 'awaiting_approval')
      throw ApiError.of(Errors.deployApprovalClosed, `Run ${id} is ${run.state}; it does not wait for a decision.`);
    const outcome = await this.workflows.decidePipelineStage(pipelineRunWorkflowId(user, name), decision, {
      user: principal.user,
      ...(comment ? { comment } : {}),
    });
    if (!('refused' in outcome)) return outcome;
    const entry =
      [Errors.deployApprovalNotReviewer, Errors.deployApprovalSelf].find((e) => e.code === outcome.refused) ?? Errors.deployApprovalClosed;
    throw ApiError.of(entry, outcome.message);
  }

  /** The pipeline, when the caller may read its source app; else 404 as if absent. */
  private async readable(principal: Principal, user: string, name: string): Promise<PipelineRecord> {
    const pipeline = await this.db(() => this.pipelines.find(user, name));
    if (!pipeline) throw ApiError.of(Errors.pipelinesNotFound, `${user} has no pipeline named ${name}.`);
    await this.access.require(principal, user, pipeline.source, 'viewer', Errors.pipelinesNotFound);
    return pipeline;
  }

  /** The source and every app exist, of one repository, each once; the caller deployer on each (approver where a stage asks for approval). */
  private async checkApps(principal: Principal, user: string, sourceName: string, stages: PipelineStage[]): Promise<AppRecord> {
    const source = await this.db(() => this.apps.find(user, sourceName));
    if (!source) throw ApiError.of(Errors.appsNotFound, `${user} has no app named ${sourceName}.`);
    const seen = new Set<string>([sourceName]);
    for (const stage of stages) {
      for (const name of stage.apps) {
        if (seen.has(name))
          throw bad(
            name === sourceName ? `${name} is the source; a stage names other apps.` : `${name} is in more than one stage; each app once.`,
          );
        seen.add(name);
        const app = await this.db(() => this.apps.find(user, name));
        if (!app) throw bad(`${user} has no app named ${name}.`);
        if (canonicalRepository(app.repository) !== canonicalRepository(source.repository))
          throw bad(
            `${name} deploys ${app.repository}, not ${source.repository}: a pipeline moves a release between apps of one repository.`,
          );
      }
    }
    await this.requireOnAll(principal, user, sourceName, stages);
    return source;
  }

  private async requireOnAll(principal: Principal, user: string, source: string, stages: PipelineStage[]): Promise<void> {
    await this.access.require(principal, user, source, 'viewer');
    for (const stage of stages)
      for (const app of stage.apps) await this.access.require(principal, user, app, stage.approval ? 'approver' : 'deployer');
  }

  private async stageApps(user: string, stages: PipelineStage[]): Promise<Map<string, AppRecord>> {
    const apps = new Map<string, AppRecord>();
    for (const name of stages.flatMap((s) => s.apps)) {
      const app = await this.db(() => this.apps.find(user, name));
      if (!app) throw bad(`${user} has no app named ${name} any more; change the pipeline.`);
      apps.set(name, app);
    }
    return apps;
  }

  private db<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.pipelinesDbFailed, operation);
  }
}

/** A stage as stored, its approval and bake checked (`approval: true` or `{required, timeout}`). */
function checkedStage(stage: { apps: string[]; bake?: string; approval?: unknown }, index: number): PipelineStage {
  const checked: PipelineStage = { apps: stage.apps };
  if (stage.bake !== undefined) {
    if (approvalTimeoutMs(stage.bake) > MAX_BAKE_MS) throw bad(`stages[${index}].bake is at most 24h.`);
    checked.bake = stage.bake;
  }
  const approval = stage.approval;
  if (approval === undefined || approval === false) return checked;
  if (approval === true) return { ...checked, approval: {} };
  if (typeof approval !== 'object' || approval === null || Array.isArray(approval))
    throw bad(`stages[${index}].approval must be true or {required, timeout}.`);
  const { required, timeout, ...rest } = approval as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw bad(`stages[${index}].approval has only required and timeout.`);
  if (required !== undefined && (!Number.isInteger(required) || (required as number) < 1 || (required as number) > 10))
    throw bad(`stages[${index}].approval.required must be an integer from 1 to 10.`);
  if (timeout !== undefined && (typeof timeout !== 'string' || !/^[1-9][0-9]{0,5}(s|m|h|d)$/.test(timeout)))
    throw bad(`stages[${index}].approval.timeout must be a duration such as 72h.`);
  return {
    ...checked,
    approval: {
      ...(required !== undefined ? { required: required as number } : {}),
      ...(timeout !== undefined ? { timeout: timeout } : {}),
    },
  };
}

/** What the run's workflow follows of a stage: its bake in ms; its approval rule, the reviewers being the approvers of every app of it. */
function plan(stage: PipelineStage, apps: Map<string, AppRecord>, author: string): PipelineStagePlan {
  const bakeMs = stage.bake ? approvalTimeoutMs(stage.bake) : 0;
  if (!stage.approval) return { apps: stage.apps, bakeMs };
  const approvers = stage.apps.map((name) => usersAllowed(apps.get(name)!, 'approver'));
  const rule: ApprovalRule = {
    required: stage.approval.required ?? 1,
    reviewers: approvers[0].filter((user) => approvers.every((list) => list.includes(user))),
    self: [author],
    allowSelf: false,
    timeoutMs: approvalTimeoutMs(stage.approval.timeout ?? DEFAULT_APPROVAL_TIMEOUT),
  };
  return { apps: stage.apps, bakeMs, approval: rule };
}

function view(p: PipelineRecord): PipelineView {
  return {
    user: p.user,
    name: p.name,
    source: p.source,
    repository: p.repository,
    stages: p.stages,
    by: p.by,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

function runView(r: PipelineRunRecord): PipelineRunView {
  return {
    id: r._id,
    pipeline: r.pipeline,
    user: r.user,
    source: r.source,
    release: r.release,
    by: r.by,
    state: r.state,
    stage: r.stage,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.approval ? { approval: r.approval } : {}),
    stages: r.stages.map((stage) => ({
      apps: stage.apps.map((app) => ({ app, ...(r.apps[runAppKey(app)] ?? { stage: 0, state: 'pending' as const }) })),
      ...(stage.bake ? { bake: stage.bake } : {}),
      ...(stage.approval ? { approval: true } : {}),
    })),
    createdAt: r.createdAt.toISOString(),
    ...(r.endedAt ? { endedAt: r.endedAt.toISOString() } : {}),
  };
}
