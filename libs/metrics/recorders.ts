import { ApiError } from '../errors';
import type { StatusWrite } from '../../workflows/types';
import { deploymentDuration, deploymentsFinishedTotal, intakeTotal, stepDuration, uploadRetriesTotal } from './registry';

export type IntakeProvider = 'github' | 'travis' | 'unknown';

/** The parts of an intake answer the counter reads (IntakeAnswer in libs/deployments). */
export interface IntakeOutcome {
  httpStatus: number;
  body: { status: string; existing?: boolean };
}

/** Counts one answered webhook delivery. */
export function recordIntake(provider: IntakeProvider, answer: IntakeOutcome): void {
  intakeTotal.inc({ provider, outcome: answer.body.existing ? 'existing' : answer.body.status });
}

/** Counts one refused webhook delivery by its error code (`internal` for anything unexpected). */
export function recordIntakeError(provider: IntakeProvider, error: unknown): void {
  intakeTotal.inc({ provider, outcome: error instanceof ApiError ? error.code : 'internal' });
}

/** A status entry already in the log, as the observation needs it. */
export interface LoggedEntry {
  _id: string;
  step: string;
  status: string;
  ts: Date;
}

export type Observation =
  | { kind: 'step'; step: string; outcome: 'ok' | 'error' | 'canceled'; seconds: number }
  | { kind: 'finished'; state: 'succeeded' | 'failed' | 'canceled'; code: string; seconds?: number }
  | { kind: 'upload_retry' };

const CANCEL_CODES = new Set(['deploy:canceled', 'deploy:superseded']);
const UPLOAD_RETRY = /^Attempt \d+ failed/;

/**
 * Whether observing `write` needs the deployment's earlier entries: only writes that end a
 * step (or the deployment) do; pending ones do not, so most writes cost no extra read.
 */
export function needsHistory(write: Pick<StatusWrite, 'status'>): boolean {
  return write.status !== 'pending';
}

/**
 * What one status write of the deployment workflow says for the metrics, given the entries the
 * deployment logged before it (`earlier`, oldest first; undefined when not read). Pure: the
 * workflow is untouched, everything is derived from the writes it makes anyway.
 *
 * - a step's `ok`/`error` entry ends it: its duration runs from the step's first entry;
 * - the `done` entry ends the deployment (final state from its error code) and the step that
 *   was still pending then (`processing` on success, the failing step otherwise);
 * - an `upload` pending entry "Attempt n failed …" is an upload retry;
 * - a write whose entry is in the log already is an activity retry: it counts nothing again.
 */
export function observeStatusWrite(write: StatusWrite, earlier: LoggedEntry[] | undefined, now = new Date()): Observation[] {
  if (write.status === 'pending') {
    return write.step === 'upload' && UPLOAD_RETRY.test(write.message ?? '') ? [{ kind: 'upload_retry' }] : [];
  }
  if (!earlier) return [];
  const id = statusEntryId(write);
  if (earlier.some((entry) => entry._id === id)) return [];
  const seconds = (since: Date) => Math.max(0, (now.getTime() - new Date(since).getTime()) / 1000);

  if (write.step !== 'done') {
    const first = earlier.find((entry) => entry.step === write.step);
    return first ? [{ kind: 'step', step: write.step, outcome: write.status === 'ok' ? 'ok' : 'error', seconds: seconds(first.ts) }] : [];
  }

  const code = write.error?.code ?? '';
  const state = write.status === 'ok' ? 'succeeded' : CANCEL_CODES.has(code) ? 'canceled' : 'failed';
  const observations: Observation[] = [{ kind: 'finished', state, code, seconds: earlier.length ? seconds(earlier[0].ts) : undefined }];
  const last = earlier[earlier.length - 1];
  if (last && last.status === 'pending' && last.step !== 'done') {
    const first = earlier.find((entry) => entry.step === last.step)!;
    observations.push({ kind: 'step', step: last.step, outcome: state === 'succeeded' ? 'ok' : state === 'failed' ? 'error' : 'canceled', seconds: seconds(first.ts) });
  }
  return observations;
}

/** Records what `observeStatusWrite` found. Metrics never fail a status write. */
export function recordStatusWrite(write: StatusWrite, earlier: LoggedEntry[] | undefined): void {
  try {
    for (const observation of observeStatusWrite(write, earlier)) {
      if (observation.kind === 'upload_retry') uploadRetriesTotal.inc();
      else if (observation.kind === 'step') stepDuration.observe({ step: observation.step, outcome: observation.outcome }, observation.seconds);
      else {
        deploymentsFinishedTotal.inc({ state: observation.state, code: observation.code });
        if (observation.seconds !== undefined) deploymentDuration.observe({ state: observation.state }, observation.seconds);
      }
    }
  } catch {
    // a metric is never worth a failed deployment step
  }
}

/** The status entry id the status activity writes (`<deployment>:<seq, 3 digits>`). */
function statusEntryId(write: Pick<StatusWrite, 'deploymentId' | 'seq'>): string {
  return `${write.deploymentId}:${String(write.seq).padStart(3, '0')}`;
}
