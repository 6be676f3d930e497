import type { StatusWrite } from '../../workflows/types';
import { LoggedEntry, observeStatusWrite } from './recorders';

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
const write = (seq: number, step: StatusWrite['step'], status: StatusWrite['status'], extra: Partial<StatusWrite> = {}): StatusWrite => ({
  seq, deploymentId: 'dep_1', user: 'u', uuid: 'x', app_name: 'a', provider: 'github', commit: 'o/r/s', step, status, ...extra,
});
const entry = (seq: number, step: string, status: string, second: number): LoggedEntry => ({ _id: `dep_1:${String(seq).padStart(3, '0')}`, step, status, ts: at(second) });

describe('observeStatusWrite', () => {
  const history = [entry(1, 'received', 'ok', 0), entry(2, 'resolve', 'pending', 1), entry(3, 'resolve', 'ok', 2), entry(4, 'upload', 'pending', 3)];

  it('times a step from its first entry to its ok or error entry', () => {
    expect(observeStatusWrite(write(5, 'upload', 'ok'), history, at(13))).toEqual([{ kind: 'step', step: 'upload', outcome: 'ok', seconds: 10 }]);
    expect(observeStatusWrite(write(5, 'upload', 'error'), history, at(4))).toEqual([{ kind: 'step', step: 'upload', outcome: 'error', seconds: 1 }]);
    expect(observeStatusWrite(write(1, 'received', 'ok'), [], at(0))).toEqual([]);
  });

  it('ends the deployment and its pending step on done, canceled codes as canceled', () => {
    expect(observeStatusWrite(write(5, 'done', 'ok'), history, at(20))).toEqual([
      { kind: 'finished', state: 'succeeded', code: '', seconds: 20 },
      { kind: 'step', step: 'upload', outcome: 'ok', seconds: 17 },
    ]);
    const superseded = observeStatusWrite(write(5, 'done', 'error', { error: { code: 'deploy:superseded', message: 'm' } }), history, at(5));
    expect(superseded).toEqual([
      { kind: 'finished', state: 'canceled', code: 'deploy:superseded', seconds: 5 },
      { kind: 'step', step: 'upload', outcome: 'canceled', seconds: 2 },
    ]);
    const failed = observeStatusWrite(write(4, 'done', 'error', { error: { code: 'deploy:tar:corrupt', message: 'm' } }), history.slice(0, 3), at(6));
    expect(failed).toEqual([{ kind: 'finished', state: 'failed', code: 'deploy:tar:corrupt', seconds: 6 }]);
  });

  it('counts upload retries from the workflow\'s retry entries only', () => {
    expect(observeStatusWrite(write(6, 'upload', 'pending', { message: 'Attempt 2 failed (502); retrying in 2 s.' }), undefined)).toEqual([{ kind: 'upload_retry' }]);
    expect(observeStatusWrite(write(4, 'upload', 'pending', { message: 'Uploading to the deployment target.' }), undefined)).toEqual([]);
  });

  it('counts nothing again for an activity retry of a write already in the log', () => {
    const done = entry(5, 'done', 'ok', 20);
    expect(observeStatusWrite(write(5, 'done', 'ok'), [...history, done], at(21))).toEqual([]);
    expect(observeStatusWrite(write(5, 'done', 'ok'), undefined)).toEqual([]);
  });
});
