import { randomBytes } from 'node:crypto';
import {
  activityTimes,
  commitMany,
  deployAll,
  DeploymentTiming,
  deploymentStack,
  historyPlan,
  megabyteTarball,
  timingSummary,
} from './deploys';
import { atLeast, BenchStack, cpuPerOperation, info, median, round, Row, rssMb, rssPeak } from './lib';
import type { GithubServer } from '../tools/github-standin/github-standin';
import { RawWork, rawWorkSummary, RawWorkTiming } from './raw-work';
import type { SkeletonStep } from './skeleton.workflow';

/** Concurrent deployments of the cost curve (item 3); 100 carries the targets. */
export const DEPLOYMENT_CURVE = (process.env.BENCH_DEPLOYMENT_CURVE ?? '10,100,500').split(',').map(Number);
const TARGET_AT = 100;
/** What the service may add to one deployment's raw work, push to done (docs/performance.md#the-raw-work-baseline). */
const ADDED_MS_TARGET = 150;
/** CPU per deployment, all processes, at TARGET_AT concurrent. */
const CPU_MS_TARGET = 200;

interface SkeletonRun {
  latencyMs: number;
  overheadMs: number;
}

/**
 * Starts `count` skeleton workflows at once on `taskQueue`; each one's run (start to close in
 * its history, as for the real ones), and that minus its timers.
 */
async function skeletonBatch(
  stack: BenchStack,
  taskQueue: string,
  plan: SkeletonStep[],
  count: number,
): Promise<{ runs: SkeletonRun[]; wallSeconds: number }> {
  const timersMs = plan.reduce((sum, step) => sum + (step.kind === 'timer' ? step.ms : 0), 0);
  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: count }, async () => {
      const handle = await stack.temporal.workflow.start('skeleton', {
        taskQueue,
        workflowId: `skeleton/${randomBytes(8).toString('hex')}`,
        args: [plan],
      });
      await handle.result();
      return handle.workflowId;
    }),
  );
  const wallSeconds = (Date.now() - started) / 1000;
  const runs = await Promise.all(
    ids.map(async (id) => {
      const { run } = await activityTimes(stack, id);
      return { latencyMs: run, overheadMs: run - timersMs };
    }),
  );
  return { runs, wallSeconds };
}

/**
 * Benchmark 3: 1 MB deployments, one at a time and 10/100/500 at once, against the skeleton
 * (bench/skeleton.workflow.ts: the same history shape with no-op bodies) on the same worker
 * settings in the same run. Overhead is end to end minus fetch, upload and the target's
 * processing; the skeleton's is its run minus its timers.
 */
export async function overhead(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const deployments = await deploymentStack(stack, 'overhead');
  const skeletonEnv = stack.env('skeleton');
  const skeletonWorker = await stack.skeletonWorker('worker-skeleton', skeletonEnv);
  const skeletonQueue = skeletonEnv.TEMPORAL_TASK_QUEUE!;
  const worker = deployments.workers[0];
  try {
    const tarball = await megabyteTarball('app');
    const alone: DeploymentTiming[] = [];
    for (const commit of commitMany(deployments.github!, 'alone', 4, tarball)) {
      alone.push(...(await deployAll(stack, deployments.database, deployments.gatewayUrls, [commit])).timings);
    }
    const single = timingSummary(alone.slice(1)); // the first one warms the worker up
    const rawRuns = await rawWorkRuns(deployments.github!, deployments.receiverUrl, tarball);
    const raw = rawWorkSummary(rawRuns.slice(1));
    const plan = await historyPlan(stack, alone.at(-1)!.workflowId);
    const skeletonAlone: SkeletonRun[] = [];
    for (let i = 0; i < 4; i++) skeletonAlone.push(...(await skeletonBatch(stack, skeletonQueue, plan, 1)).runs);
    const skeletonSingle = median(skeletonAlone.slice(1).map((r) => r.overheadMs));

    const curve: Array<Record<string, number>> = [];
    const cpuAt: Record<number, { real: Record<string, number>; skeleton: Record<string, number> }> = {};
    const { temporal, mongo } = stack.serverPids;
    const realPids = {
      worker: worker.child.pid!,
      gateway: deployments.gateways[0].child.pid!,
      receiver: deployments.receiver.child.pid!,
      temporal,
      mongo,
    };
    const skeletonPids = { worker: skeletonWorker.child.pid!, temporal, mongo };
    const batches: Record<number, unknown> = {};
    for (const n of DEPLOYMENT_CURVE) {
      const idleMb = rssMb(worker.child.pid!);
      const sampler = rssPeak(worker.child.pid!);
      const commits = commitMany(deployments.github!, `many${n}`, n, tarball);
      const { result: batch, cpuMsPerOp: cpu } = await cpuPerOperation(realPids, async () => {
        const done = await deployAll(stack, deployments.database, deployments.gatewayUrls, commits);
        return { ...done, ok: n };
      });
      const peakMb = sampler.stop();
      const { result: skeleton, cpuMsPerOp: skeletonCpu } = await cpuPerOperation(skeletonPids, async () => ({
        ...(await skeletonBatch(stack, skeletonQueue, plan, n)),
        ok: n,
      }));
      const many = timingSummary(batch.timings);
      cpuAt[n] = { real: cpu, skeleton: skeletonCpu };
      curve.push({
        concurrent: n,
        succeeded: many.succeeded,
        perSecond: round(n / batch.wallSeconds, 2),
        skeletonPerSecond: round(n / skeleton.wallSeconds, 2),
        medianOverheadMs: many.medianRunOverheadMs,
        skeletonMedianOverheadMs: round(median(skeleton.runs.map((r) => r.overheadMs))),
        wallSeconds: round(batch.wallSeconds),
        workerRssPerDeploymentMb: round((peakMb - idleMb) / n, 2),
        workerRssPeakMb: round(peakMb),
      });
      batches[n] = { ...many, wallSeconds: batch.wallSeconds, skeletonWallSeconds: skeleton.wallSeconds };
    }
    const at = curve.find((c) => c.concurrent === TARGET_AT) ?? curve[0];
    const rows: Row[] = [
      {
        figure: 'push to done, one at a time (1 MB) vs the raw work',
        value: `${single.medianEndToEndMs} ms`,
        baseline: `${raw.totalMs} ms (raw work)`,
        ratio: round(single.medianEndToEndMs / raw.totalMs, 2),
        target: `≤ raw + ${ADDED_MS_TARGET} ms`,
        pass: single.medianEndToEndMs <= raw.totalMs + ADDED_MS_TARGET,
      },
      info(
        '  raw work, one at a time: total / fetch / inspect / upload / target processing',
        `${raw.totalMs} / ${raw.fetchMs} / ${raw.inspectMs} / ${raw.uploadMs} / ${raw.processingMs} ms`,
      ),
      ...cpuRow(cpuAt[TARGET_AT]),
      atLeast(`deployments/s, ${at.concurrent} concurrent 1 MB deployments vs the skeleton`, at.perSecond, at.skeletonPerSecond, '/s', 0.7),
      {
        figure: 'orchestration overhead, one deployment at a time vs the skeleton',
        value: `${single.medianRunOverheadMs} ms`,
        baseline: `${round(skeletonSingle)} ms (skeleton)`,
        ratio: round(single.medianRunOverheadMs / skeletonSingle, 2),
        target: 'ratio ≤ 1.5',
        pass: single.medianRunOverheadMs / skeletonSingle <= 1.5,
      },
      ...Object.entries(cpuAt).map(([n, { real, skeleton }]) =>
        info(
          `  bound: CPU ms per deployment at ${n}: worker / gateway / receiver / Temporal / MongoDB`,
          `${real.worker} / ${real.gateway} / ${real.receiver} / ${real.temporal} / ${real.mongo} ms`,
          `${skeleton.worker} / — / — / ${skeleton.temporal} / ${skeleton.mongo} ms (skeleton)`,
          round(sumCpu(real) / sumCpu(skeleton), 2),
        ),
      ),
      {
        figure: `deployments succeeded`,
        value: `${curve.reduce((s, c) => s + c.succeeded, 0)}/${DEPLOYMENT_CURVE.reduce((s, n) => s + n, 0)}`,
        baseline: '—',
        ratio: null,
        target: 'all',
        pass: curve.every((c) => c.succeeded === c.concurrent),
      },
      info(`  skeleton shape (from a real deployment's history)`, countKinds(plan)),
      info(
        '  one at a time: median end to end / fetch / upload / target processing',
        `${single.medianEndToEndMs} / ${single.medianFetchMs} / ${single.medianUploadMs} / ${single.medianProcessingMs} ms`,
      ),
      ...curve.map((c) =>
        info(
          `  curve: ${c.concurrent} concurrent: deployments/s; median overhead`,
          `${c.perSecond} /s; ${c.medianOverheadMs} ms`,
          `${c.skeletonPerSecond} /s; ${c.skeletonMedianOverheadMs} ms (skeleton)`,
          round(c.perSecond / c.skeletonPerSecond, 2),
        ),
      ),
      ...curve.map((c) =>
        info(
          `  curve: worker RSS per running deployment (${c.concurrent} concurrent; peak)`,
          `${c.workerRssPerDeploymentMb} MB (${c.workerRssPeakMb} MB)`,
        ),
      ),
      // Every deployment here is its own app, so its line is empty: this is the admission's own cost.
      info(
        "  median queued wait, the app's line empty (inspected → upload), at 100 / alone",
        `${(batches[TARGET_AT] as { medianQueuedMs?: number } | undefined)?.medianQueuedMs ?? '—'} ms`,
        `${single.medianQueuedMs} ms`,
      ),
    ];
    return { rows, raw: { single, alone, rawRuns, skeletonAlone, plan, curve, batches, cpuAt } };
  } finally {
    await stack.stopChild(skeletonWorker);
    await deployments.stop();
  }
}

/** CPU per deployment, all processes, at TARGET_AT concurrent, against its target (none when the curve skips it). */
function cpuRow(cpu: { real: Record<string, number>; skeleton: Record<string, number> } | undefined): Row[] {
  if (!cpu) return [];
  const value = sumCpu(cpu.real);
  return [
    {
      figure: `CPU ms per deployment, all processes, ${TARGET_AT} concurrent`,
      value: `${round(value)} ms`,
      baseline: `${round(sumCpu(cpu.skeleton))} ms (skeleton)`,
      ratio: round(value / sumCpu(cpu.skeleton), 2),
      target: `≤ ${CPU_MS_TARGET} ms`,
      pass: value <= CPU_MS_TARGET,
    },
  ];
}

/** Four raw-work runs on their own commits (the first warms up), one at a time. */
async function rawWorkRuns(github: GithubServer, receiverUrl: string, tarball: Buffer): Promise<RawWorkTiming[]> {
  const raw = await RawWork.create();
  try {
    const runs: RawWorkTiming[] = [];
    for (const { repo, sha } of commitMany(github, 'raw', 4, tarball)) runs.push(await raw.deploy(github.url, receiverUrl, repo, sha));
    return runs;
  } finally {
    await raw.close();
  }
}

function countKinds(plan: SkeletonStep[]): string {
  const count = (kind: SkeletonStep['kind']) => plan.filter((s) => s.kind === kind).length;
  return `${count('activity')} activities, ${count('local')} local activities, ${count('timer')} timers, ${count('upsert')} upserts`;
}

const sumCpu = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .filter(([k]) => k !== 'loadGenerator')
    .reduce((a, [, b]) => a + b, 0);
