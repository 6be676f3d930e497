import type { WorkerTuning } from '../apps/worker/worker-tuning';

/** BENCH_WORKER_TUNING (JSON): worker settings a bench run tries instead of apps/worker's, in the real and the skeleton worker alike. */
export function benchTuning(): Partial<WorkerTuning> {
  return process.env.BENCH_WORKER_TUNING ? JSON.parse(process.env.BENCH_WORKER_TUNING) : {};
}
