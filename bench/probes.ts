/**
 * Preloaded into gateway child processes (`node -r dist/bench/probes.js`), never into product
 * builds. BENCH_PROBE_FILE: counts, from the gateway's side, the status change streams it opens
 * and the feed clients its hub holds, written to that file on every change. BENCH_CPU_PROFILE:
 * a CPU profile of the process, written at SIGTERM. BENCH_WORKER_TUNING: the worker's Temporal
 * settings overridden (bench/tuning.ts).
 */
import { Worker } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { FeedHub } from '../libs/status/feed-hub';
import { StatusRepository } from '../libs/status/status.repository';
import { benchTuning } from './tuning';

const probeFile = process.env.BENCH_PROBE_FILE;
if (probeFile) {
  const counts = { changeStreamsOpened: 0, changeStreamsOpen: 0, feedClients: 0, pid: process.pid };
  const save = () => writeFileSync(probeFile, JSON.stringify(counts));
  const watch = StatusRepository.prototype.watchInserts;
  StatusRepository.prototype.watchInserts = function (this: StatusRepository) {
    const stream = watch.call(this);
    counts.changeStreamsOpened += 1;
    counts.changeStreamsOpen += 1;
    stream.once('close', () => void ((counts.changeStreamsOpen -= 1), save()));
    save();
    return stream;
  };
  const subscribe = FeedHub.prototype.subscribe;
  FeedHub.prototype.subscribe = async function (this: FeedHub, subscriber) {
    const watermark = await subscribe.call(this, subscriber);
    counts.feedClients = this.clientCount;
    save();
    return watermark;
  };
  const unsubscribe = FeedHub.prototype.unsubscribe;
  FeedHub.prototype.unsubscribe = function (this: FeedHub, subscriber) {
    unsubscribe.call(this, subscriber);
    counts.feedClients = this.clientCount;
    save();
  };
  save();
}

const profileFile = process.env.BENCH_CPU_PROFILE;
if (profileFile) {
  // --cpu-prof writes nothing when Nest re-raises SIGTERM, so the profiler is driven from here.
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.prependListener('SIGTERM', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(profileFile, JSON.stringify(result.profile));
    });
  });
}

if (process.env.BENCH_WORKER_TUNING) {
  const create = Worker.create.bind(Worker);
  Worker.create = (options) => create({ ...options, ...benchTuning() });
}
