import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorCode, Errors } from '../libs/errors/catalogue';
import type { DeploymentActivitiesApi, LineActivitiesApi, NotificationActivitiesApi, TargetStatus } from './activities';
import { lineDecisionSignal } from './line.workflow';
import {
  ciGates,
  endStatus,
  GITHUB_CHECKS_PATCH,
  GITHUB_DEPLOYMENTS_PATCH,
  GithubDeploymentTracker,
  waitForGithubChecks,
} from './github-gate';
import {
  CiSignal,
  DeploymentEvent,
  DeploymentInput,
  DeploymentOutcome,
  DeploymentState,
  LineEndCode,
  PushSignal,
  SEARCH_ATTRIBUTES,
  StatusState,
  Step,
  SupersedeSignal,
  TravisSignal,
} from './types';

export const pushSignal = defineSignal<[PushSignal]>('push');
export const travisSignal = defineSignal<[TravisSignal]>('travis');
export const cancelSignal = defineSignal<[{ reason?: string }]>('cancel');
export const supersedeSignal = defineSignal<[SupersedeSignal]>('supersede');
/** A GitHub check suite, check run or commit status of the commit changed: read the checks again (SPEC 7). */
export const ciSignal = defineSignal<[CiSignal]>('ci');
export const stateQuery = defineQuery<DeploymentState>('state');

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;
// Short, idempotent calls (a MongoDB write, a small GitHub read or commit status) run as local
// activities: each would otherwise cost a server round trip (about 100 ms on the dev server),
// most of a deployment's orchestration overhead. A worker crash re-runs them on replay: harmless.
const quick = proxyLocalActivities<DeploymentActivitiesApi>({ startToCloseTimeout: '30 seconds', retry: { ...retry, maximumAttempts: 5 } });
// Reads the whole tarball (up to TAR_MAX_BYTES, 2 GiB): a regular activity, so a slow one never
// holds a workflow task; it heartbeats, so a dead worker's inspection moves on within seconds.
const check = proxyActivities<DeploymentActivitiesApi>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, maximumAttempts: 5 },
});
// Status writes are small, idempotent and frequent: local activities too.
const log = proxyLocalActivities<DeploymentActivitiesApi>({ startToCloseTimeout: '10 seconds', retry });
/**
 * Every status entry written exactly once, numbered without gaps (found by the chaos suite):
 * - a write, once numbered, completes even when a signal cancels the pipeline meanwhile (a
 *   canceled local activity left its sequence number unused);
 * - the `done` entry is a regular activity: a local activity runs inside its workflow task, and
 *   when the task that would complete the workflow is rejected (an event arrived meanwhile:
 *   Temporal's UnhandledCommand), the retried task could take another path and write a second
 *   `done` under a new number. A scheduled activity exists only once its task is accepted;
 * - a task whose worker died may have logged steps its retry does not take (the retry saw a
 *   signal the dead task had not, the line's end say) under numbers the retry gives other steps:
 *   the activity then writes the retry's entry after the log's end (recordStatus, found by the soak).
 */
const STATUS_LOG_PATCH = 'status-log-exactly-once';
const RECEIVED_FIRST_PATCH = 'received-before-any-end';
const logEnd = proxyActivities<DeploymentActivitiesApi>({ startToCloseTimeout: '10 seconds', retry });
const transfer = proxyActivities<DeploymentActivitiesApi>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { ...retry, maximumAttempts: 5 },
});
// Upload attempts are counted by the workflow itself, so each one shows in the status log.
const upload = proxyActivities<DeploymentActivitiesApi>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
});

const poll = proxyActivities<DeploymentActivitiesApi>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retry, maximumInterval: '10 seconds', maximumAttempts: 10 },
});
// The app's release line is started or signalled from here (signal-with-start needs a client).
const lines = proxyLocalActivities<LineActivitiesApi>({ startToCloseTimeout: '30 seconds', retry });

/**
 * `notifications`: the app's subscribers hear of the deployment (SPEC 8). Each event starts its
 * own delivery workflow from a local activity, so a slow or failing endpoint never holds or
 * fails the deployment.
 */
const NOTIFICATIONS_PATCH = 'notifications';
const notifier = proxyLocalActivities<NotificationActivitiesApi>({
  startToCloseTimeout: '30 seconds',
  retry: { ...retry, maximumAttempts: 5 },
});
const END_EVENTS: Record<DeploymentState['state'], DeploymentEvent | undefined> = {
  running: undefined,
  succeeded: 'deployment.succeeded',
  failed: 'deployment.failed',
  canceled: 'deployment.canceled',
};

/**
 * Patch ids: deployments started before a change replay the code they started with (SPEC 6.7).
 * `release-line`: the app's line orders and admits the deployment (SPEC 6.1, 6.2), and it ends
 * cleanly whatever ends it (a cancel from the Temporal UI included).
 */
export const RELEASE_LINE_PATCH = 'release-line';
const CANCELED_THROUGH_TEMPORAL = 'Deployment canceled through Temporal (workflow cancel).';

export const UPLOAD_ATTEMPTS = 10;
const PROCESSING_TIMEOUT_MS = 60 * 60 * 1000;

class DeploymentError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One deployment, from a stored webhook payload to the receiver's final state (SPEC 3). */
export async function deployment(input: DeploymentInput): Promise<DeploymentOutcome> {
  const lined = patched(RELEASE_LINE_PATCH);
  const checksGate = patched(GITHUB_CHECKS_PATCH);
  const githubDeployments = patched(GITHUB_DEPLOYMENTS_PATCH);
  const state: DeploymentState = { step: 'received', state: 'running', attempt: 1, records: [], timings: {} };
  const ref = { deploymentId: input.deploymentId, user: input.user, repository: input.repository, commit: input.commit };
  let push = input.push;
  let travis: TravisSignal | undefined;
  // A holder, not a `let`: signal handlers set it while the pipeline awaits.
  const halt: { stop?: { code: LineEndCode; message: string }; uploadStarted: boolean } = { uploadStarted: false };
  // The app's line: which line it is in (once its app is known) and what the line said.
  const turn: { app?: string; admitted: boolean; waitingFor?: { behind: string; commit: string } } = { admitted: false };
  let blobId: string | undefined;
  let seq = 0;
  let firstEntryAt: string | undefined;
  let lastEntry: { step: Step; status: StatusState } | undefined;
  const pipeline = new CancellationScope();
  // check_suite / check_run / status events about the commit: the GitHub gate reads the checks again.
  const ciWake = { count: 0 };
  const githubDeployment = new GithubDeploymentTracker(ref);
  const stopped = () => halt.stop; // read through a call: signal handlers change it across awaits

  setHandler(stateQuery, () => state);
  setHandler(pushSignal, (signal) => void (push ??= signal));
  // The latest result counts: a restarted build's Passed replaces its Failed until the gate reads it.
  setHandler(travisSignal, (signal) => void (travis = signal));
  setHandler(ciSignal, () => void ciWake.count++);
  setHandler(cancelSignal, ({ reason }) => {
    halt.stop ??= { code: Errors.deployCanceled.code, message: `Deployment canceled${reason ? `: ${reason}` : ''}.` };
    pipeline.cancel();
  });
  setHandler(supersedeSignal, ({ by }) => {
    if (halt.uploadStarted || halt.stop) return; // too late: the target has it already
    halt.stop = { code: Errors.deploySuperseded.code, message: `A newer push (${by}) superseded this deployment before it was uploaded.` };
    pipeline.cancel();
  });

  setHandler(lineDecisionSignal, (decision) => {
    if (decision.type === 'admit') turn.admitted = true;
    else if (decision.type === 'wait') turn.waitingFor = { behind: decision.behind, commit: decision.commit };
    else if (!halt.uploadStarted && !halt.stop) {
      halt.stop = { code: decision.code, message: decision.message };
      pipeline.cancel();
    }
  });

  async function record(step: Step, status: StatusState, message?: string, error?: { code: string; message: string }) {
    const now = new Date().toISOString();
    // The metrics' timings travel with the write, so the worker never reads the log back for them.
    const timing = {
      stepStartedAt: state.timings[step]?.startedAt,
      deploymentStartedAt: firstEntryAt,
      previous: lastEntry && { ...lastEntry, stepStartedAt: state.timings[lastEntry.step]!.startedAt },
    };
    firstEntryAt ??= now;
    lastEntry = { step, status };
    if (step !== state.step) {
      const previous = state.timings[state.step];
      if (previous && !previous.endedAt) previous.endedAt = now;
      state.step = step;
      state.attempt = 1;
    }
    state.timings[step] ??= { startedAt: now };
    upsertSearchAttributes({ [SEARCH_ATTRIBUTES.step]: [step], [SEARCH_ATTRIBUTES.state]: [state.state] });
    const exactlyOnce = patched(STATUS_LOG_PATCH);
    const write = () =>
      (exactlyOnce && step === 'done' ? logEnd : log).recordStatus({
        seq: ++seq,
        attempt: state.attempt,
        deploymentId: input.deploymentId,
        user: input.user,
        uuid: input.uuid,
        app_name: state.app ?? push?.app ?? input.repository.split('/')[1],
        provider: input.provider,
        commit: `${input.repository}/${input.commit}`,
        step,
        status,
        message,
        error,
        timing,
      });
    await (exactlyOnce ? CancellationScope.nonCancellable(write) : write());
  }

  /** A courtesy like commit statuses: its failure never changes the deployment. */
  async function notify(event: DeploymentEvent | undefined, app: string | undefined): Promise<void> {
    if (!event || !app || input.operation === 'UNDEPLOY' || !patched(NOTIFICATIONS_PATCH)) return;
    await courtesy(() => notifier.notify({ ...ref, app, event, error: state.error }));
  }

  if (!lined) return main();
  try {
    return await main();
  } catch (error) {
    // Canceled through Temporal outside the pipeline (e.g. while a Travis-first start waits for its push).
    if (!isCancellation(error)) throw error;
    return finish(Errors.deployCanceled.code, CANCELED_THROUGH_TEMPORAL, 'canceled');
  }

  async function main(): Promise<DeploymentOutcome> {
    // Travis came first: wait (bounded) for the GitHub push that says what to deploy.
    if (!push && !(await condition(() => push !== undefined || halt.stop !== undefined, input.ciTimeoutMs))) {
      const message = `Travis reported (${travis?.statusMessage ?? 'a result'}), but no push of this commit to the deploy branch arrived within ${minutes(input.ciTimeoutMs)}.`;
      await record('waiting_for_ci', 'error', message, { code: Errors.deployTravisTimeout.code, message });
      return finish(Errors.deployTravisTimeout.code, message, 'canceled');
    }
    // An end that came before `received` (a retried first workflow task can see the line's or a
    // cancel's signal first) still logs `received` first: the task's first attempt may have written
    // it as entry 1, and `done` must not take that number (found by the soak: `done` was lost).
    const receivedFirst = push !== undefined && patched(RECEIVED_FIRST_PATCH);
    if (halt.stop && !receivedFirst) return finish(halt.stop.code, halt.stop.message, 'canceled');

    await record(
      'received',
      'ok',
      `Payload stored (${input.provider}${input.retryOf ? `, retry of ${input.retryOf}` : ''}${input.release ? `, ${input.release.cause} of release v${input.release.version}` : ''}); deployment queued.`,
    );
    if (halt.stop) return finish(halt.stop.code, halt.stop.message, 'canceled');
    try {
      await pipeline.run(run);
      return await finish();
    } catch (error) {
      const stop = stopped();
      if (stop) return finish(stop.code, stop.message, 'canceled');
      if (lined && isCancellation(error)) return finish(Errors.deployCanceled.code, CANCELED_THROUGH_TEMPORAL, 'canceled');
      const { code, message } = describe(error, state.step);
      return finish(code, message, 'failed');
    }
  }

  /**
   * Joins the app's line as soon as the app is known (at once for a configured app, else after
   * resolve), so the line orders it early: a stale push ends before downloading anything.
   */
  async function enterLine(app: string, kind: 'deploy' | 'undeploy' = 'deploy'): Promise<void> {
    if (!lined || turn.app) return;
    turn.app = app;
    const entry = {
      deploymentId: input.deploymentId,
      workflowId: workflowInfo().workflowId,
      repository: input.repository,
      commit: input.commit,
      before: push?.before,
      pushedAt: push?.pushedAt,
      receivedAt: push?.receivedAt,
      explicit: input.retryOf !== undefined || input.release !== undefined || kind === 'undeploy',
      kind,
    };
    await lines.signalLine({ user: input.user, app, event: { type: 'arrive', entry } });
  }

  /** The `queued` step (SPEC 6.2): ready for the target; waits until the line admits it. */
  async function takeTurn(): Promise<void> {
    if (!turn.app) return;
    await lines.signalLine({ user: input.user, app: turn.app, event: { type: 'ready', deploymentId: input.deploymentId } });
    let shown: string | undefined;
    while (!turn.admitted) {
      await condition(() => turn.admitted || (turn.waitingFor !== undefined && turn.waitingFor.behind !== shown));
      if (turn.admitted || !turn.waitingFor) break;
      shown = turn.waitingFor.behind;
      await record(
        'queued',
        'pending',
        `Waiting for deployment ${shown} (${turn.waitingFor.commit.slice(0, 7)}) to finish at the target: one deployment of ${turn.app} at a time.`,
      );
    }
    if (shown) await record('queued', 'ok', `Its turn in the line of ${turn.app} came; going to the target.`);
  }

  async function run(): Promise<void> {
    if (input.operation === 'UNDEPLOY') return undeploy(push!.app!);
    if (push!.app) await enterLine(push!.app);
    // A retry is an operator's explicit request: it deploys without waiting for CI again.
    // Pending on GitHub from the start, CI wait included (SPEC 3 step 8).
    await courtesy(() => quick.commitStatus({ ...ref, app: push!.app, state: 'pending', description: 'Deployment in progress' }));
    if (checksGate) await waitForCi();
    else await waitForTravis();

    const source = input.release;
    await record('resolve', 'pending', source ? `The package of release v${source.version}.` : 'Reading package.json.');
    const pkg = source ? source.package : await quick.resolvePackage(ref);
    const app = await quick.resolveApp({ ...ref, appHint: push!.app, packageName: pkg.name });
    state.app = app.app;
    upsertSearchAttributes({ [SEARCH_ATTRIBUTES.app]: [app.app] });
    await record('resolve', 'ok', `${pkg.name}@${pkg.version} deploys as app ${app.app}.`);
    await enterLine(app.app);
    if (githubDeployments) await githubDeployment.create(app.app);
    await notify('deployment.queued', app.app);

    if (source?.blobId) {
      // The release's kept tarball, inspected when it was first deployed: no GitHub, no second inspection.
      blobId = source.blobId;
      await record('fetch', 'ok', `The kept tarball of release v${source.version} is deployed again; nothing downloaded.`);
    } else {
      await record('fetch', 'pending', 'Downloading the commit tarball from GitHub.');
      const tarball = await transfer.fetchTarball(ref);
      blobId = tarball.blobId;
      await record('fetch', 'ok', `${tarball.bytes} bytes, sha256 ${tarball.sha256}.`);

      await record('inspect', 'pending', 'Checking the tarball.');
      const inspected = await check.inspectTarball({ blobId });
      await record('inspect', 'ok', `${inspected.entries} entries, ${inspected.bytes} bytes, all safe.`);
    }

    await takeTurn();
    const stop = stopped();
    if (stop) throw new DeploymentError(stop.code, stop.message);
    halt.uploadStarted = true;
    await githubDeployment.status(app.app, 'in_progress', 'Uploading to the deployment target');
    await notify('deployment.started', app.app);
    await record('upload', 'pending', 'Uploading to the deployment target.');
    const { remoteId } = await uploadWithRetries({ ...ref, app: app.app, version: pkg.version, blobId, operation: 'DEPLOY' });
    state.remoteId = remoteId;
    await record('upload', 'ok', `Target accepted the package as ${remoteId}.`);

    if (app.polls) await followProcessing(app.app, remoteId);
  }

  /**
   * Why an explicit request waits for no CI: a retry, or the code of a release (rollback, redeploy,
   * env: the new input field `release`, never in older histories), which passed CI when first deployed.
   */
  function noCiWait(): string | undefined {
    if (input.retryOf) return 'retries do not wait for CI';
    return input.release ? `release v${input.release.version} passed its CI when it was deployed` : undefined;
  }

  /** The CI gate before `github-checks`: Travis only. */
  async function waitForTravis(): Promise<void> {
    const skip = noCiWait();
    const asked = skip ? { gated: false, reason: skip } : await quick.ciGate({ ...ref, app: push!.app });
    // A Travis result that came first counts even where nothing asked for one: a failed build never deploys.
    const gate = !skip && !asked.gated && travis ? { gated: true, reason: 'Travis reported a result for this commit' } : asked;
    state.ci = { gated: gate.gated, reason: gate.reason };
    if (gate.gated) await travisResult(gate.reason, input.ciTimeoutMs);
  }

  /** Waits (bounded) for Travis' result; a failed build ends the deployment. */
  async function travisResult(reason: string, timeoutMs: number): Promise<void> {
    await record('waiting_for_ci', 'pending', `Waiting for Travis: ${reason}.`);
    if (!(await condition(() => travis !== undefined, timeoutMs))) {
      throw new DeploymentError(Errors.deployTravisTimeout.code, `Travis did not report within ${minutes(timeoutMs)}.`);
    }
    state.ci!.result = travis!.statusMessage;
    if (!travis!.passed) throw new DeploymentError(Errors.deployTravisFailed.code, `Travis build ${travis!.statusMessage}; not deploying.`);
    await record('waiting_for_ci', 'ok', `Travis build ${travis!.statusMessage}.`);
  }

  /**
   * The CI gate (SPEC 7): Travis and GitHub checks, each where it applies; a commit with both
   * waits for both. A retry (or a release's code deployed again) is an explicit request: it waits for neither.
   */
  async function waitForCi(): Promise<void> {
    const skip = noCiWait();
    if (skip) {
      state.ci = { gated: false, reason: skip };
      return;
    }
    const gates = await ciGates({ ...ref, app: push!.app });
    // A Travis result that came first counts even where nothing asked for one: a failed build never deploys.
    const travisGate = !gates.travis.gated && travis ? { gated: true, reason: 'Travis reported a result for this commit' } : gates.travis;
    const timeoutMs = gates.timeoutMs ?? input.ciTimeoutMs;
    const applied = [
      travisGate.gated && `Travis: ${travisGate.reason}`,
      gates.github.gated && `GitHub checks: ${gates.github.reason}`,
    ].filter((why): why is string => typeof why === 'string');
    state.ci = { gated: applied.length > 0, reason: applied.join('; ') || `${travisGate.reason}; ${gates.github.reason}` };
    if (travisGate.gated) await travisResult(travisGate.reason, timeoutMs);
    if (gates.github.gated) {
      await record('waiting_for_ci', 'pending', `GitHub checks gate this deployment: ${gates.github.reason}.`);
      const passed = await waitForGithubChecks({
        ref,
        app: push!.app,
        gate: gates.github,
        timeoutMs,
        pollMs: gates.pollMs,
        wake: ciWake,
        report: (message) => record('waiting_for_ci', 'pending', message),
      });
      state.ci.result = [state.ci.result, passed].filter(Boolean).join('; ');
      await record('waiting_for_ci', 'ok', passed);
    }
  }

  /** UNDEPLOY: no code, no CI; the target removes what the app's last deployment put there. */
  async function undeploy(app: string): Promise<void> {
    state.app = app;
    await enterLine(app, 'undeploy');
    await takeTurn();
    halt.uploadStarted = true;
    const target = await quick.resolveApp({ ...ref, appHint: app, packageName: app, claimName: false });
    await record('upload', 'pending', `Asking the target to remove ${app}${input.undeploys ? ` (deployed by ${input.undeploys})` : ''}.`);
    const { remoteId, nothingToDo } = await uploadWithRetries({
      ...ref,
      app,
      version: '0.0.0',
      operation: 'UNDEPLOY',
      undeploys: input.undeploys,
    });
    if (nothingToDo) return record('upload', 'ok', nothingToDo);
    state.remoteId = remoteId;
    await record('upload', 'ok', `Target accepted the removal as ${remoteId}.`);
    if (target.polls) await followProcessing(app, remoteId);
  }

  async function uploadWithRetries(
    args: Parameters<DeploymentActivitiesApi['uploadPackage']>[0],
  ): ReturnType<DeploymentActivitiesApi['uploadPackage']> {
    for (let attempt = 1; ; attempt++) {
      state.attempt = attempt;
      try {
        return await upload.uploadPackage(args);
      } catch (error) {
        const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined;
        if (isCancellation(error) || failure?.nonRetryable || attempt >= UPLOAD_ATTEMPTS) throw error;
        const delay = Math.min(1000 * 2 ** (attempt - 1), 30_000);
        await record(
          'upload',
          'pending',
          `Attempt ${attempt} failed (${failure?.message ?? (error as Error).message}); retrying in ${delay / 1000} s.`,
        );
        await sleep(delay);
      }
    }
  }

  async function followProcessing(app: string, remoteId: string): Promise<void> {
    await record('processing', 'pending', 'The target is processing the package.');
    const deadline = Date.now() + PROCESSING_TIMEOUT_MS;
    let delay = 200;
    let last: TargetStatus | undefined;
    let failedPolls = 0;
    for (;;) {
      let status: TargetStatus;
      try {
        status = await poll.pollTarget({ user: input.user, app, remoteId });
        failedPolls = 0;
      } catch (error) {
        // Reading a status is safe to repeat: a flaky target only delays the answer, up to the deadline.
        const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined;
        if (isCancellation(error) || failure?.nonRetryable || ++failedPolls >= 6 || Date.now() >= deadline) throw error;
        await record(
          'processing',
          'pending',
          `Reading the target's status failed (${failure?.message ?? (error as Error).message}); trying again.`,
        );
        await sleep(Math.min(delay * 4, 15_000));
        continue;
      }
      state.records = status.records.map((r) => ({ ref: r.ref, state: r.state, message: r.message }));
      for (const change of recordChanges(last, status)) await record('processing', 'pending', change);
      last = status;
      if (status.state === 'SUCCESS') return record('processing', 'ok', 'The target finished processing: SUCCESS.');
      if (status.state === 'ERROR') {
        const messages = status.records
          .filter((r) => r.state === 'ERROR' && r.message)
          .map((r) => r.message)
          .join('; ');
        throw new DeploymentError(Errors.deployNodejitsuStartApp.code, `The target reported ERROR${messages ? `: ${messages}` : ''}.`);
      }
      if (Date.now() >= deadline)
        throw new DeploymentError(Errors.deployNodejitsuStartApp.code, 'The target did not finish processing within an hour.');
      await sleep(delay);
      delay = Math.min(delay * 1.5, 15_000);
    }
  }

  /**
   * The deployment's end, whatever ended it: the failing step's entry, the commit status, the
   * blob freed, the line left, `done`. With the release line it runs in a non-cancellable scope
   * (a cancel from the Temporal UI still ends cleanly), and bookkeeping that fails after the
   * target's answer never changes the outcome.
   */
  function finish(code?: string, message?: string, outcome: DeploymentState['state'] = 'succeeded'): Promise<DeploymentOutcome> {
    if (!lined) return end(code, message, outcome);
    return CancellationScope.nonCancellable(() => end(code, message, outcome));
  }

  async function end(code?: string, message?: string, outcome: DeploymentState['state'] = 'succeeded'): Promise<DeploymentOutcome> {
    state.state = outcome;
    state.error = code ? { code, message: message ?? code } : undefined;
    // The step that failed (or was stopped) ends with its own error entry, then the deployment's done entry.
    if (state.error && lastEntry && lastEntry.step !== 'received' && lastEntry.status !== 'error')
      await record(lastEntry.step, 'error', state.error.message, state.error);
    // An UNDEPLOY deploys no commit: with the release line it marks none "Deployed" (nor failed).
    if (!(lined && input.operation === 'UNDEPLOY')) {
      await courtesy(() =>
        quick.commitStatus({
          ...ref,
          app: state.app,
          state: outcome === 'succeeded' ? 'success' : 'failure',
          description: code ? `Deployment failed: ${code}` : 'Deployed',
        }),
      );
    }
    await githubDeployment.status(state.app, endStatus(outcome, code), code ? `${code}: ${message ?? ''}` : 'Deployed');
    const bookkeeping = () =>
      quick.finishDeployment({
        ...ref,
        app: state.app,
        state: outcome,
        blobId,
        operation: input.operation,
        removeApp: input.removeApp,
        appVersion: input.appVersion,
      });
    if (!lined) await bookkeeping();
    else {
      await courtesy(bookkeeping);
      const app = turn.app;
      if (app)
        await courtesy(() => lines.signalLine({ user: input.user, app, event: { type: 'leave', deploymentId: input.deploymentId } }));
    }
    await notify(END_EVENTS[outcome], state.app);
    if (outcome === 'succeeded' && input.release?.cause === 'rollback') await notify('deployment.rolled_back', state.app);
    if (code) await record('done', 'error', message, { code, message: message ?? code });
    else await record('done', 'ok', input.operation === 'UNDEPLOY' ? `Removed ${state.app} from the target.` : `Deployed ${state.app}.`);
    return { state: outcome, error: state.error };
  }
}

/** Commit statuses are a courtesy: their failure never fails a deployment. */
async function courtesy(call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch {
    // recorded in the activity's failure in history; nothing else to do
  }
}

function recordChanges(before: TargetStatus | undefined, after: TargetStatus): string[] {
  const changes: string[] = [];
  if (before?.state !== after.state) changes.push(`Package ${after.state}.`);
  for (const recordNow of after.records) {
    const previous = before?.records.find((r) => r.ref === recordNow.ref);
    if (previous?.state !== recordNow.state)
      changes.push(`Record ${recordNow.ref}: ${recordNow.state}${recordNow.message ? ` (${recordNow.message})` : ''}.`);
  }
  return changes;
}

/** patched() id: an inspection that timed out fails with `deploy:tar:timeout` (was `deploy:tar:corrupt`). */
export const INSPECT_TIMEOUT_PATCH = 'inspect-timeout';

const STEP_CODES: Record<string, ErrorCode> = {
  ciGate: Errors.deployGithubReadFailed.code, // .travis.yml unreadable (GitHub down): not the spec's no_pkg_json
  resolvePackage: Errors.deployGithubNoPkgJson.code,
  resolveApp: Errors.deployGithubNoPkgJson.code,
  fetchTarball: Errors.deployGithubDownloadTarball.code,
  inspectTarball: Errors.deployTarCorrupt.code,
  uploadPackage: Errors.deployNodejitsuUploadTarball.code,
  pollTarget: Errors.deployNodejitsuStartApp.code,
};

/**
 * The spec's error code of a failure. An activity's own codes are `deploy:…`; anything else
 * (a driver error or a bug reaches the workflow named after its class) gets the code of the
 * step it happened in, with its message.
 */
function describe(error: unknown, step: Step): { code: string; message: string } {
  if (error instanceof DeploymentError) return { code: error.code, message: error.message };
  // A local activity's failure can reach the workflow as its ApplicationFailure itself.
  const failure =
    error instanceof ApplicationFailure
      ? error
      : error instanceof ActivityFailure && error.cause instanceof ApplicationFailure
        ? error.cause
        : undefined;
  if (failure?.type?.startsWith('deploy:')) return { code: failure.type, message: failure.message };
  const activity = error instanceof ActivityFailure ? error.activityType : undefined;
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  // A slow inspection is not a corrupt tarball (runs started before this change keep their code).
  if (activity === 'inspectTarball' && cause instanceof TimeoutFailure && patched(INSPECT_TIMEOUT_PATCH)) {
    return {
      code: Errors.deployTarTimeout.code,
      message: `The tarball's inspection did not finish in time (${cause.timeoutType === 'HEARTBEAT' ? 'its worker stopped answering' : '30 minutes per attempt'}).`,
    };
  }
  const code = (activity && STEP_CODES[activity]) ?? STEP_FALLBACK_CODES[step] ?? Errors.deployInternal.code;
  const message = activity
    ? `${activity} did not complete: ${cause?.message ?? (error as Error).message}`
    : ((error as Error)?.message ?? String(error));
  return { code, message };
}

/** Per step, for failures that carry no code of their own. */
const STEP_FALLBACK_CODES: Partial<Record<Step, ErrorCode>> = {
  received: Errors.deployGithubReadFailed.code,
  waiting_for_ci: Errors.deployGithubReadFailed.code,
  resolve: Errors.deployGithubNoPkgJson.code,
  fetch: Errors.deployGithubDownloadTarball.code,
  inspect: Errors.deployTarCorrupt.code,
  upload: Errors.deployNodejitsuUploadTarball.code,
  processing: Errors.deployNodejitsuStartApp.code,
};

function minutes(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
