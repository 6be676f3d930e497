import type { WorkerOptions as SdkWorkerOptions } from '@temporalio/worker';

/**
 * The worker's Temporal settings, in one place so the bench's skeleton worker runs on
 * exactly these. Figures behind them: docs/performance.md#what-bounds-each-row.
 */
export type WorkerTuning = Pick<
  SdkWorkerOptions,
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
>;

export const WORKER_TUNING: WorkerTuning = {
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentWorkflowTaskExecutions: 40,
};
