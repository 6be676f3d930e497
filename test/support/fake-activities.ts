import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { reportStoreFailures } from '../../apps/worker/store-failures';
import type { WorkerActivitiesApi } from '../../libs/pipeline/activity';
import { withStepEntriesAll } from '../../libs/pipeline/step-entries';
import type { CiGates, CiVerdict, PipelineRunActivitiesApi, PreviewActivitiesApi, TargetStatus } from '../../workflows/activities';
import { lineDecisionSignal } from '../../workflows/line.workflow';
import type { DeploymentInput, StatusWrite } from '../../workflows/types';
import { startTimeSkippingEnvironment } from './time-skipping';

const MINUTE = 60_000;
export const NOT_GATED = { gated: false, reason: 'not asked for' };

/** The activities a deployment calls, as a workflow test fakes them. */
export type DeploymentFakes = Omit<WorkerActivitiesApi, keyof PreviewActivitiesApi | keyof PipelineRunActivitiesApi>;

/**
 * Canned answers of a deployment that goes straight through: no CI, a package, an app with a
 * target that does not poll, its line admitting it at once; each status entry pushed to `log`.
 * A test spreads its own answers over these.
 */
export function straightThrough(env: () => TestWorkflowEnvironment, log: () => StatusWrite[]): DeploymentFakes {
  return {
    // Idempotent by number, as the store's (a failed step's `pending` is written again).
    recordStatus: async (write) => void (log().some((logged) => logged.seq === write.seq) || log().push(write)),
    ciGate: async () => NOT_GATED,
    ciGates: async (): Promise<CiGates> => ({ travis: NOT_GATED, github: NOT_GATED, pollMs: 10 * MINUTE }),
    githubChecks: async (): Promise<CiVerdict> => ({ state: 'success', failing: [], waiting: [] }),
    githubDeployment: async () => null,
    githubDeploymentStatus: async () => undefined,
    resolvePackage: async () => ({ name: 'hello', version: '1.0.0' }),
    resolveApp: async () => ({ app: 'hello', hasTarget: true, polls: false, retain: false }),
    liveDeployment: async () => ({ commit: 'none' }),
    fetchTarball: async () => ({ blobId: 'blob-1', bytes: 100, sha256: 'ab'.repeat(32) }),
    inspectTarball: async () => ({ entries: 1, bytes: 100 }),
    uploadPackage: async () => ({ remoteId: 'remote-1' }),
    activateRelease: async () => ({ remoteId: 'remote-activate' }),
    pollTarget: async (): Promise<TargetStatus> => ({ state: 'SUCCESS', records: [] }),
    commitStatus: async () => undefined,
    finishDeployment: async () => undefined,
    // The app's line, faked: a deployment that is ready is admitted at once.
    signalLine: async ({ event }) => {
      if (event.type !== 'ready') return;
      await env()
        .client.workflow.getHandle(Context.current().info.workflowExecution!.workflowId)
        .signal(lineDecisionSignal, { type: 'admit' });
    },
    compareCommits: async () => 'ahead',
    readLineHead: async () => null,
    writeLineHead: async () => undefined,
    notify: async () => undefined,
    deliverNotification: async () => undefined,
    deliveryGaveUp: async () => undefined,
    deployWindow: async () => ({ open: true, reason: 'no windows' }),
    probeHealth: async () => ({ ok: true, answer: '200' }),
    autoRollback: async () => ({ started: false, reason: 'no release to roll back to' }),
  };
}

/** A push of alice/hello's app `hello`, with a fresh deployment id and commit. */
export function deploymentInput(overrides: Partial<DeploymentInput> = {}): DeploymentInput {
  const id = randomBytes(6).toString('hex');
  return {
    deploymentId: `dep-${id}`,
    user: 'alice',
    repository: 'alice/hello',
    commit: id.padEnd(40, '0'),
    uuid: `uuid-${id}`,
    provider: 'github',
    ciTimeoutMs: 30 * MINUTE,
    push: { payloadId: `payload-${id}`, branch: 'main', app: 'hello' },
    ...overrides,
  };
}

/**
 * A worker of the product's workflows on its own time-skipping server, whose activities are the
 * fakes `current()` answers at each call (so a test replaces them without a new worker), each call
 * counted in `calls` and its input kept in `inputs`. `asTheWorker`: the activities wrapped as the
 * real worker wraps them (a step's own failures end at its attempts; a step writes its own entries).
 */
export class FakeActivitiesWorker {
  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly taskQueue: string,
    readonly calls: Record<string, number>,
    readonly inputs: Array<{ name: string; input: unknown }>,
    private readonly worker: Worker,
    private readonly running: Promise<void>,
  ) {}

  static async start<A extends object>(prefix: string, names: A, current: () => A, asTheWorker = true): Promise<FakeActivitiesWorker> {
    const env = await startTimeSkippingEnvironment();
    const taskQueue = `${prefix}-${randomBytes(4).toString('hex')}`;
    const calls: Record<string, number> = {};
    const inputs: Array<{ name: string; input: unknown }> = [];
    const activities = Object.fromEntries(
      Object.keys(names).map((name) => [
        name,
        (...args: unknown[]) => {
          calls[name] = (calls[name] ?? 0) + 1;
          inputs.push({ name, input: args[0] });
          return (current()[name as keyof A] as (...a: unknown[]) => Promise<unknown>)(...args);
        },
      ]),
    );
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../workflows'),
      activities: asTheWorker ? reportStoreFailures(withStepEntriesAll(activities), { toleranceMs: 10 * MINUTE }) : activities,
    });
    return new FakeActivitiesWorker(env, taskQueue, calls, inputs, worker, worker.run());
  }

  /** Forgets the calls of the test before. */
  reset(): void {
    for (const name of Object.keys(this.calls)) delete this.calls[name];
    this.inputs.length = 0;
  }

  async stop(): Promise<void> {
    this.worker.shutdown();
    await this.running;
    await this.env.teardown();
  }
}
