import { commitMany, deployAll, deploymentStack, megabyteTarball, timingSummary } from './deploys';
import { atMost, BenchStack, info, round, Row } from './lib';

const CONCURRENT = Number(process.env.BENCH_DEPLOYMENTS ?? 100);

/** Benchmark 3: orchestration overhead of 1 MB deployments, alone (baseline) and 100 at once. */
export async function overhead(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const deployments = await deploymentStack(stack, 'overhead');
  try {
    const tarball = await megabyteTarball('app');
    const alone = [];
    for (const commit of commitMany(deployments.github!, 'alone', 4, tarball)) {
      alone.push(...(await deployAll(stack, deployments.database, deployments.gatewayUrls, [commit])).timings);
    }
    const single = timingSummary(alone.slice(1)); // the first one warms the worker up
    const batch = await deployAll(stack, deployments.database, deployments.gatewayUrls, commitMany(deployments.github!, 'many', CONCURRENT, tarball));
    const many = timingSummary(batch.timings);
    const rows: Row[] = [
      atMost(`median orchestration overhead, ${CONCURRENT} concurrent 1 MB deployments`, many.medianOverheadMs, single.medianOverheadMs, 'ms', 250, '(one at a time)'),
      { figure: `deployments succeeded`, value: `${many.succeeded}/${CONCURRENT}`, baseline: '—', ratio: null, target: `${CONCURRENT}/${CONCURRENT}`, pass: many.succeeded === CONCURRENT },
      info('  median end to end / fetch / upload / target processing', `${many.medianEndToEndMs} / ${many.medianFetchMs} / ${many.medianUploadMs} / ${many.medianProcessingMs} ms`,
        `${single.medianEndToEndMs} / ${single.medianFetchMs} / ${single.medianUploadMs} / ${single.medianProcessingMs} ms`),
      // Every deployment here is its own app, so its line is empty: this is the admission's own cost.
      info('  median queued wait, the app\'s line empty (inspected → upload)', `${many.medianQueuedMs} ms`, `${single.medianQueuedMs} ms`),
      info(`  batch wall time; amortized per deployment`, `${round(batch.wallSeconds)} s; ${round((batch.wallSeconds * 1000) / CONCURRENT)} ms`),
    ];
    return { rows, raw: { single, alone, many, wallSeconds: batch.wallSeconds, timings: batch.timings } };
  } finally {
    await deployments.stop();
  }
}
