/**
 * `node dist/bench/skeleton-worker.js`: a Temporal worker for the skeleton workflow only, with
 * the product worker's settings (apps/worker/worker-tuning.ts; BENCH_WORKER_TUNING overrides
 * them in both, bench/probes.ts). Started by the bench as a child process, as the real worker is.
 */
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { WORKER_TUNING } from '../apps/worker/worker-tuning';
import { benchTuning } from './tuning';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const taskQueue = process.env.TEMPORAL_TASK_QUEUE!;
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: { codePath: process.env.SKELETON_BUNDLE! },
    activities: { noop: async () => undefined },
    ...WORKER_TUNING,
    ...benchTuning(),
    shutdownGraceTime: '2 seconds',
  });
  process.once('SIGTERM', () => worker.shutdown());
  console.log(`polling task queue ${taskQueue}`);
  await worker.run();
  await connection.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
