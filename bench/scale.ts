import { commitMany, deployAll, deploymentStack, megabyteTarball, timingSummary } from './deploys';
import { gatewayLoad } from './intake';
import { BenchStack, info, round, Row } from './lib';

const DEPLOYMENTS = Number(process.env.BENCH_SCALE_DEPLOYMENTS ?? 40);

/** Benchmark 6: intake and deployment throughput with two gateways and two workers vs one of each. */
export async function scale(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const tarball = await megabyteTarball('app');
  const raw: Record<string, unknown> = {};
  const intakeRate: number[] = [];
  const deployRate: number[] = [];
  for (const n of [1, 2]) {
    // Intake: n gateways, no worker on their queue, so only starts are measured.
    const env = stack.env(`scale-intake-${n}`);
    const gateways = await Promise.all(Array.from({ length: n }, (_, i) => stack.gateway(`gateway-scale-intake-${n}-${i}`, env)));
    const load = await gatewayLoad(
      gateways.map((g) => g.url),
      `scale${n}`,
    );
    for (const g of gateways) await stack.stopChild(g.process);
    intakeRate.push(load.perSecond);

    const deployments = await deploymentStack(stack, `scale-${n}`, { gateways: n, workers: n });
    try {
      // Names of their own per phase: an app's release line (line/<user>/<app>) outlives the
      // phase's worker, on its task queue, and would hold the next phase's app of that name.
      await deployAll(stack, deployments.database, deployments.gatewayUrls, commitMany(deployments.github!, `warm-x${n}`, n, tarball));
      const batch = await deployAll(
        stack,
        deployments.database,
        deployments.gatewayUrls,
        commitMany(deployments.github!, `batch-x${n}`, DEPLOYMENTS, tarball),
      );
      deployRate.push(DEPLOYMENTS / batch.wallSeconds);
      raw[`x${n}`] = {
        intake: { perSecond: load.perSecond, ok: load.ok, failed: load.failed },
        deployments: { wallSeconds: batch.wallSeconds, ...timingSummary(batch.timings) },
      };
    } finally {
      await deployments.stop();
    }
  }
  const rows: Row[] = [
    scaled('intake pushes/s, 2 gateways vs 1', intakeRate, '/s'),
    scaled(`deployments/s (${DEPLOYMENTS} × 1 MB), 2 gateways + 2 workers vs 1 + 1`, deployRate, '/s'),
  ];
  return { rows, raw };
}

function scaled(figure: string, [one, two]: number[], unit: string): Row {
  return info(figure, `${round(two, 2)} ${unit}`, `${round(one, 2)} ${unit}`, round(two / one, 2));
}
