import { CancellationScope, patched, upsertSearchAttributes } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES_PER_STEP_PATCH, STATUS_LOG_PATCH } from '../patches';
import { statusEnd, statusWrites } from '../proxies';
import { SEARCH_ATTRIBUTES, StatusState, StatusWrite, Step, StepEntries } from '../types';
import type { RunningDeployment } from './running-deployment';

/** A step's entries numbered for its activity, and the entry before them. */
export type ReservedEntries = StepEntries & { before?: { step: Step; status: StatusState } };

/**
 * The deployment's status log: entries numbered by the workflow, each carrying the timings the
 * worker's metrics need (so the worker never reads the log back). Every entry is written exactly
 * once, numbered without gaps (found by the chaos suite):
 * - a write, once numbered, completes even when a signal cancels the pipeline meanwhile (a
 *   canceled local activity left its sequence number unused);
 * - the `done` entry is a regular activity: a local activity runs inside its workflow task, and
 *   when the task that would complete the workflow is rejected (an event arrived meanwhile:
 *   Temporal's UnhandledCommand), the retried task could take another path and write a second
 *   `done` under a new number. A scheduled activity exists only once its task is accepted;
 * - a task whose worker died may have logged steps its retry does not take (the retry saw a
 *   signal the dead task had not, the line's end say) under numbers the retry gives other steps:
 *   the activity then writes the retry's entry after the log's end (recordStatus, found by the soak);
 * - a step whose activity writes its own entries (`reserve`, withStepEntries) has them numbered
 *   here before it is scheduled; when it fails, its `pending` is written again (a no-op if the
 *   activity wrote it) and its `ok` number goes to the entry after it (`failed`).
 */
export class StatusLog {
  private seq = 0;
  private firstEntryAt?: string;
  private lastEntry?: { step: Step; status: StatusState };
  /** The step and state the search attributes hold, once only changes are upserted. */
  private searchable?: string;

  constructor(private readonly deployment: RunningDeployment) {}

  /** The entry written last: a failure ends its step with an error entry of its own. */
  get last(): { step: Step; status: StatusState } | undefined {
    return this.lastEntry;
  }

  /** Writes an entry; a new step moves the deployment's `step` (the `state` query, the search attributes). */
  async record(step: Step, status: StatusState, message?: string, error?: { code: string; message: string }): Promise<void> {
    await this.write(this.entry(step, status, message, error));
  }

  /**
   * Numbers a step's entries for the activity that does its work to write (withStepEntries): its
   * `pending` (none when `pendingMessage` is undefined: a retry's, or one logged already) and its
   * `ok` (none when `okMessage` is undefined), whose `{name}` placeholders the activity's answer
   * fills. A failed activity gives them back (`failed`).
   */
  reserve(step: Step, pendingMessage: string | undefined, okMessage?: string): ReservedEntries {
    const pending = pendingMessage === undefined ? undefined : this.entry(step, 'pending', pendingMessage);
    const before = this.lastEntry;
    return { pending, before, ok: okMessage === undefined ? undefined : this.entry(step, 'ok', okMessage) };
  }

  /**
   * The activity of `reserve`'s entries failed: its `pending` is written (again, which changes
   * nothing if the activity wrote it; it may never have started) and its `ok` number goes to the
   * next entry, so the log has no gap and the failure's error entry ends the step.
   */
  async failed(entries: ReservedEntries): Promise<void> {
    if (entries.ok) {
      this.seq = entries.ok.seq - 1;
      this.lastEntry = entries.before;
    }
    if (entries.pending) await this.write(entries.pending);
  }

  /** An activity given its step's entries (`reserve`); when it fails, the log takes them back. */
  async logged<T>(entries: ReservedEntries, work: (entries: StepEntries) => Promise<T>): Promise<T> {
    try {
      return await work({ pending: entries.pending, ok: entries.ok });
    } catch (error) {
      await this.failed(entries);
      throw error;
    }
  }

  /** The write a new entry makes, numbered; its step and timing kept for the entries after it. */
  private entry(step: Step, status: StatusState, message?: string, error?: { code: string; message: string }): StatusWrite {
    const { input, state } = this.deployment;
    const now = new Date().toISOString();
    const timing = {
      stepStartedAt: state.timings[step]?.startedAt,
      deploymentStartedAt: this.firstEntryAt,
      previous: this.lastEntry && { ...this.lastEntry, stepStartedAt: state.timings[this.lastEntry.step]!.startedAt },
    };
    this.firstEntryAt ??= now;
    this.lastEntry = { step, status };
    if (step !== state.step) {
      const previous = state.timings[state.step];
      if (previous && !previous.endedAt) previous.endedAt = now;
      state.step = step;
      state.attempt = 1;
    }
    state.timings[step] ??= { startedAt: now };
    this.upsertStep(step, state.state);
    return {
      seq: ++this.seq,
      attempt: state.attempt,
      deploymentId: input.deploymentId,
      user: input.user,
      uuid: input.uuid,
      app_name: state.app ?? this.deployment.push?.app ?? input.repository.split('/')[1],
      provider: input.provider,
      commit: `${input.repository}/${input.commit}`,
      step,
      status,
      message,
      error,
      timing,
      ...(this.deployment.hold && { hold: this.deployment.hold }),
    };
  }

  private async write(entry: StatusWrite): Promise<void> {
    const exactlyOnce = patched(STATUS_LOG_PATCH);
    const write = () => (exactlyOnce && entry.step === 'done' ? statusEnd : statusWrites).recordStatus(entry);
    await (exactlyOnce ? CancellationScope.nonCancellable(write) : write());
  }

  /** The search attributes follow the step and state; a step's second entry changes neither, so it upserts nothing. */
  private upsertStep(step: Step, state: string): void {
    const searchable = `${step} ${state}`;
    if (searchable === this.searchable && patched(SEARCH_ATTRIBUTES_PER_STEP_PATCH)) return;
    this.searchable = searchable;
    upsertSearchAttributes({ [SEARCH_ATTRIBUTES.step]: [step], [SEARCH_ATTRIBUTES.state]: [state] });
  }
}
