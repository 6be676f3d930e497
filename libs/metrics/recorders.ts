import { ApiError, Errors } from '../errors';
import type { StatusWrite } from '../../workflows/types';
import {
  deploymentDuration,
  deploymentsFinishedTotal,
  deploymentsTotal,
  healthChecksTotal,
  intakeTotal,
  stepDuration,
  uploadRetriesTotal,
} from './registry';

export type IntakeProvider = 'github' | 'travis' | 'unknown';

/** The parts of an intake answer the counter reads (IntakeAnswer in libs/intake). */
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

/** Counts one deployment created (not a redelivery answering an existing one) by its cause. */
export function recordDeploymentCreated(cause: string): void {
  deploymentsTotal.inc({ cause });
}

export type Observation =
  | { kind: 'step'; step: string; outcome: 'ok' | 'error' | 'canceled'; seconds: number }
  | { kind: 'finished'; state: 'succeeded' | 'failed' | 'canceled'; code: string; seconds?: number }
  | { kind: 'upload_retry' };

const CANCEL_CODES = new Set<string>([Errors.deployCanceled.code, Errors.deploySuperseded.code, Errors.deployStale.code]);
const UPLOAD_RETRY = /^Attempt \d+ failed/;

/**
 * What one status write of the deployment workflow says for the metrics. Pure: everything is
 * derived from the write itself, whose `timing` the workflow fills from its own clock.
 *
 * - a write that was in the log already (an activity retry, `inserted` false) counts nothing;
 * - an `upload` pending entry "Attempt n failed …" is an upload retry;
 * - a step's `ok`/`error` entry ends it: its duration runs from the step's first entry;
 * - the `done` entry ends the deployment (final state from its error code) and the step that
 *   was still pending then (`processing` on success, the failing step otherwise).
 */
export function observeStatusWrite(write: StatusWrite, inserted: boolean, now = new Date()): Observation[] {
  if (!inserted) return [];
  if (write.status === 'pending') {
    return write.step === 'upload' && UPLOAD_RETRY.test(write.message ?? '') ? [{ kind: 'upload_retry' }] : [];
  }
  const timing = write.timing ?? {};
  const seconds = (since: string) => Math.max(0, (now.getTime() - new Date(since).getTime()) / 1000);

  if (write.step !== 'done') {
    return timing.stepStartedAt
      ? [{ kind: 'step', step: write.step, outcome: write.status === 'ok' ? 'ok' : 'error', seconds: seconds(timing.stepStartedAt) }]
      : [];
  }

  const code = write.error?.code ?? '';
  const state = write.status === 'ok' ? 'succeeded' : CANCEL_CODES.has(code) ? 'canceled' : 'failed';
  const observations: Observation[] = [
    { kind: 'finished', state, code, seconds: timing.deploymentStartedAt ? seconds(timing.deploymentStartedAt) : undefined },
  ];
  const last = timing.previous;
  if (last && last.status === 'pending' && last.step !== 'done') {
    observations.push({
      kind: 'step',
      step: last.step,
      outcome: state === 'succeeded' ? 'ok' : state === 'failed' ? 'error' : 'canceled',
      seconds: seconds(last.stepStartedAt),
    });
  }
  return observations;
}

/** Records what `observeStatusWrite` found. Metrics never fail a status write. */
export function recordStatusWrite(write: StatusWrite, inserted: boolean): void {
  try {
    for (const observation of observeStatusWrite(write, inserted)) {
      if (observation.kind === 'upload_retry') uploadRetriesTotal.inc();
      else if (observation.kind === 'step')
        stepDuration.observe({ step: observation.step, outcome: observation.outcome }, observation.seconds);
      else {
        deploymentsFinishedTotal.inc({ state: observation.state, code: observation.code });
        if (observation.seconds !== undefined) deploymentDuration.observe({ state: observation.state }, observation.seconds);
      }
    }
  } catch {
    // a metric is never worth a failed deployment step
  }
}

/** One probe of a health-checked bake (docs/contract.md#verified-releases). */
export function recordHealthCheck(result: 'pass' | 'fail'): void {
  healthChecksTotal.inc({ result });
}
