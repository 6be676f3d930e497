import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import type { PipelineRunActivitiesApi } from '../../workflows/activities';
import { approveStageUpdate, pipelineRun, rejectStageUpdate } from '../../workflows/pipeline-run.workflow';
import type { PipelineRunInput, PipelineRunMark } from '../../workflows/types';
import { FakeActivitiesWorker } from '../support/fake-activities';
import { timersOf } from '../support/time-skipping';

/**
 * The release pipeline's run on Temporal's time-skipping test server
 * (docs/contract.md#release-pipelines): the stages in order, a failing stage's compensation in
 * reverse stage order with later stages untouched, the stage approval's Updates and timeout. The
 * activities are fakes; test/pipelines runs the real ones.
 */
const HOUR = 3_600_000;

let worker: FakeActivitiesWorker;
let env: TestWorkflowEnvironment;
let taskQueue: string;
let fakes: PipelineRunActivitiesApi;
let failing: Set<string>;

function defaultFakes(): PipelineRunActivitiesApi {
  return {
    promotePipelineApp: async ({ app }) => ({ deploymentId: `promote-${app}`, before: { version: 1, commit: 'old' } }),
    pipelineDeployment: async ({ deploymentId }) =>
      failing.has(deploymentId)
        ? { ended: true, state: 'failed', error: { code: 'deploy:health:failed', message: 'health check failed' } }
        : { ended: true, state: 'succeeded', release: 2 },
    compensatePipelineApp: async ({ app }) => ({ rolledBack: { deploymentId: `compensate-${app}`, to: 1 } }),
    pipelineAppLive: async () => ({ version: 2, commit: 'new' }),
    markPipelineRun: async () => undefined,
    notifyPipeline: async () => undefined,
  };
}

const called = (name: keyof PipelineRunActivitiesApi) =>
  worker.inputs.filter((call) => call.name === name).map((call) => call.input as Record<string, unknown>);

function input(overrides: Partial<PipelineRunInput> = {}): PipelineRunInput {
  return {
    runId: `run_${randomBytes(4).toString('hex')}`,
    user: 'alice',
    pipeline: 'waves',
    source: 'api-main',
    release: 4,
    by: 'alice',
    stages: [
      { apps: ['a1', 'a2'], bakeMs: 0 },
      { apps: ['b1', 'b2'], bakeMs: 0 },
      { apps: ['c1'], bakeMs: 0 },
    ],
    ...overrides,
  };
}

const start = (args: PipelineRunInput) =>
  env.client.workflow.start(pipelineRun, { taskQueue, workflowId: `pipeline/test/${randomBytes(6).toString('hex')}`, args: [args] });

async function refusal(update: Promise<unknown>): Promise<string | undefined> {
  try {
    await update;
    return undefined;
  } catch (error) {
    const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
    return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : String(error);
  }
}

beforeAll(async () => {
  worker = await FakeActivitiesWorker.start('pipeline-runs', defaultFakes(), () => fakes, false);
  ({ env, taskQueue } = worker);
}, 120_000);

afterAll(() => worker?.stop());

beforeEach(() => {
  worker.reset();
  failing = new Set();
  fakes = defaultFakes();
});

describe('pipelineRun: stages and compensation', () => {
  it('promotes every app, stage by stage, and succeeds', async () => {
    const handle = await start(input());
    expect(await handle.result()).toMatchObject({ state: 'succeeded' });
    const promoted = called('promotePipelineApp').map((c) => c.app as string);
    expect([promoted.slice(0, 2).sort(), promoted.slice(2, 4).sort(), promoted.slice(4)]).toEqual([['a1', 'a2'], ['b1', 'b2'], ['c1']]);
    expect(called('compensatePipelineApp')).toEqual([]);
    expect(called('notifyPipeline').map((c) => c.event)).toEqual(['pipeline.started', 'pipeline.succeeded']);
  });

  it('a failure in stage 2 compensates stage 2, then stage 1 (reverse order), and leaves stage 3 untouched', async () => {
    failing.add('promote-b2');
    const handle = await start(input());
    expect(await handle.result()).toMatchObject({
      state: 'failed',
      stage: 1,
      reason: expect.stringContaining('Stage 2 failed (deploy:health:failed)'),
    });
    expect(
      called('promotePipelineApp')
        .map((c) => c.app as string)
        .sort(),
    ).toEqual(['a1', 'a2', 'b1', 'b2']);
    // Stage 2's apps (in parallel), then stage 1's.
    const compensated = called('compensatePipelineApp').map((c) => c.app as string);
    expect([compensated.slice(0, 2).sort(), compensated.slice(2).sort()]).toEqual([
      ['b1', 'b2'],
      ['a1', 'a2'],
    ]);
    expect(called('compensatePipelineApp').find((c) => c.app === 'b1')).toMatchObject({
      deploymentId: 'promote-b1',
      before: { version: 1, commit: 'old' },
    });
    const marks = called('markPipelineRun') as unknown as PipelineRunMark[];
    expect(marks.find((m) => m.apps?.c1)?.apps?.c1).toMatchObject({ state: 'untouched' });
    expect(marks.filter((m) => m.apps?.a1?.state).map((m) => m.apps!.a1.state)).toEqual([
      'promoting',
      'promoted',
      'compensating',
      'compensated',
    ]);
    expect(marks[marks.length - 1]).toMatchObject({ state: 'failed', ended: true });
    expect(called('notifyPipeline').map((c) => c.event)).toEqual(['pipeline.started', 'pipeline.compensated', 'pipeline.failed']);
  });

  it('an app someone else changed is left alone, and said so', async () => {
    failing.add('promote-b1');
    fakes.compensatePipelineApp = async ({ app }) =>
      app === 'a2'
        ? { left: 'a2 was changed by someone else during the run' }
        : { rolledBack: { deploymentId: `compensate-${app}`, to: 1 } };
    const handle = await start(input());
    expect((await handle.result()).state).toBe('failed');
    const marks = called('markPipelineRun') as unknown as PipelineRunMark[];
    expect(marks.filter((m) => m.apps?.a2?.state).map((m) => m.apps!.a2.state)).toEqual(['promoting', 'promoted', 'compensating', 'left']);
    expect(marks.find((m) => m.apps?.a2?.state === 'left')?.apps?.a2?.why).toContain('someone else');
  });
});

describe('pipelineRun: stage bake', () => {
  it("waits the stage's bake on a durable timer, then fails it (pipelines:bake_failed) when an app no longer has the run's release", async () => {
    fakes.pipelineAppLive = async ({ app }) => (app === 'a2' ? { version: 3, commit: 'someone-else' } : { version: 2, commit: 'new' });
    const handle = await start(
      input({
        stages: [
          { apps: ['a1', 'a2'], bakeMs: 2 * HOUR },
          { apps: ['b1'], bakeMs: 0 },
        ],
      }),
    );
    expect(await handle.result()).toMatchObject({ state: 'failed', stage: 0, reason: expect.stringContaining('pipelines:bake_failed') });
    expect(timersOf(await handle.fetchHistory())).toContain(2 * HOUR);
    expect(
      called('promotePipelineApp')
        .map((c) => c.app as string)
        .sort(),
    ).toEqual(['a1', 'a2']);
  });
});

describe('pipelineRun: stage approval', () => {
  const approving = () =>
    input({
      stages: [
        { apps: ['a1'], bakeMs: 0 },
        {
          apps: ['b1'],
          bakeMs: 0,
          approval: { required: 1, reviewers: ['bob', 'alice'], self: ['alice'], allowSelf: false, timeoutMs: 72 * HOUR },
        },
      ],
    });

  it('waits for the stage approval before promoting it; the validator refuses the author and non-reviewers', async () => {
    const handle = await start(approving());
    const waiting = async () => (called('markPipelineRun') as unknown as PipelineRunMark[]).some((m) => m.state === 'awaiting_approval');
    while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(called('promotePipelineApp').map((c) => c.app)).toEqual(['a1']);
    expect(await refusal(handle.executeUpdate(approveStageUpdate, { args: [{ user: 'alice' }] }))).toBe('deploy:approval:self');
    expect(await refusal(handle.executeUpdate(approveStageUpdate, { args: [{ user: 'carol' }] }))).toBe('deploy:approval:not_reviewer');
    expect(await handle.executeUpdate(approveStageUpdate, { args: [{ user: 'bob' }] })).toEqual({
      decision: 'approved',
      approvals: 1,
      required: 1,
      proceeds: true,
    });
    expect((await handle.result()).state).toBe('succeeded');
    expect(called('promotePipelineApp').map((c) => c.app)).toEqual(['a1', 'b1']);
  });

  it('a rejection fails the stage and compensates the stage before it', async () => {
    const handle = await start(approving());
    const waiting = async () => (called('markPipelineRun') as unknown as PipelineRunMark[]).some((m) => m.state === 'awaiting_approval');
    while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 50));
    await handle.executeUpdate(rejectStageUpdate, { args: [{ user: 'bob', comment: 'Not today.' }] });
    expect(await handle.result()).toMatchObject({ state: 'failed', reason: expect.stringContaining('deploy:approval:rejected') });
    expect(called('promotePipelineApp').map((c) => c.app)).toEqual(['a1']);
    expect(called('compensatePipelineApp').map((c) => c.app)).toEqual(['a1']);
  });

  it('no decision within the timeout expires the stage on a durable timer, and compensates', async () => {
    const handle = await start(approving());
    expect(await handle.result()).toMatchObject({ state: 'failed', reason: expect.stringContaining('deploy:approval:expired') });
    // The approval's timeout, less the record write before it.
    expect(timersOf(await handle.fetchHistory()).filter((timer) => timer > 72 * HOUR - 60_000 && timer <= 72 * HOUR)).toHaveLength(1);
    expect(called('compensatePipelineApp').map((c) => c.app)).toEqual(['a1']);
  });
});
