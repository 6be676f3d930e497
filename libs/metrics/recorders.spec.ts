import type { StatusTiming, StatusWrite } from '../../workflows/types';
import { observeStatusWrite } from './recorders';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
const write = (seq: number, step: StatusWrite['step'], status: StatusWrite['status'], extra: Partial<StatusWrite> = {}): StatusWrite => ({
  seq,
  deploymentId: 'dep_1',
  user: 'u',
  uuid: 'x',
  app_name: 'a',
  provider: 'github',
  commit: 'o/r/s',
  step,
  status,
  ...extra,
});
interface Logged {
  step: StatusWrite['step'];
  status: StatusWrite['status'];
  ts: Date;
}
const entry = (_seq: number, step: StatusWrite['step'], status: StatusWrite['status'], second: number): Logged => ({
  step,
  status,
  ts: at(second),
});
/** The timing the workflow sends with a write of `step` after the entries `earlier`. */
const after = (earlier: Logged[], step: StatusWrite['step']): { timing: StatusTiming } => {
  const startOf = (s: string) => earlier.find((e) => e.step === s)?.ts.toISOString();
  const last = earlier[earlier.length - 1];
  return {
    timing: {
      stepStartedAt: startOf(step),
      deploymentStartedAt: earlier[0]?.ts.toISOString(),
      previous: last && { step: last.step, status: last.status, stepStartedAt: startOf(last.step)! },
    },
  };
};

describe('observeStatusWrite', () => {
  const history = [
    entry(1, 'received', 'ok', 0),
    entry(2, 'resolve', 'pending', 1),
    entry(3, 'resolve', 'ok', 2),
    entry(4, 'upload', 'pending', 3),
  ];

  it('times a step from its first entry to its ok or error entry', () => {
    expect(observeStatusWrite(write(5, 'upload', 'ok', after(history, 'upload')), true, at(13))).toEqual([
      { kind: 'step', step: 'upload', outcome: 'ok', seconds: 10 },
    ]);
    expect(observeStatusWrite(write(5, 'upload', 'error', after(history, 'upload')), true, at(4))).toEqual([
      { kind: 'step', step: 'upload', outcome: 'error', seconds: 1 },
    ]);
    expect(observeStatusWrite(write(1, 'received', 'ok', after([], 'received')), true, at(0))).toEqual([]);
  });

  it('ends the deployment and its pending step on done, canceled codes as canceled', () => {
    expect(observeStatusWrite(write(5, 'done', 'ok', after(history, 'done')), true, at(20))).toEqual([
      { kind: 'finished', state: 'succeeded', code: '', seconds: 20 },
      { kind: 'step', step: 'upload', outcome: 'ok', seconds: 17 },
    ]);
    const superseded = observeStatusWrite(
      write(5, 'done', 'error', { error: { code: 'deploy:superseded', message: 'm' }, ...after(history, 'done') }),
      true,
      at(5),
    );
    expect(superseded).toEqual([
      { kind: 'finished', state: 'canceled', code: 'deploy:superseded', seconds: 5 },
      { kind: 'step', step: 'upload', outcome: 'canceled', seconds: 2 },
    ]);
    const failed = observeStatusWrite(
      write(4, 'done', 'error', { error: { code: 'deploy:tar:corrupt', message: 'm' }, ...after(history.slice(0, 3), 'done') }),
      true,
      at(6),
    );
    expect(failed).toEqual([{ kind: 'finished', state: 'failed', code: 'deploy:tar:corrupt', seconds: 6 }]);
  });

  it("counts upload retries from the workflow's retry entries only", () => {
    expect(observeStatusWrite(write(6, 'upload', 'pending', { message: 'Attempt 2 failed (502); retrying in 2 s.' }), true)).toEqual([
      { kind: 'upload_retry' },
    ]);
    expect(observeStatusWrite(write(4, 'upload', 'pending', { message: 'Uploading to the deployment target.' }), true)).toEqual([]);
  });

  it('counts nothing again for an activity retry of a write already in the log', () => {
    expect(observeStatusWrite(write(5, 'done', 'ok', after(history, 'done')), false, at(21))).toEqual([]);
    expect(observeStatusWrite(write(6, 'upload', 'pending', { message: 'Attempt 2 failed (502); retrying in 2 s.' }), false)).toEqual([]);
  });
});
