import { randomBytes } from 'node:crypto';
import { hashSecret, verifySecret } from '../libs/auth/passwords';
import { SEARCH_ATTRIBUTES } from '../workflows/types';
import { push } from './deploys';
import {
  ADMIN,
  atLeast,
  basic,
  BenchStack,
  closedLoop,
  cpuPerOperation,
  httpJson,
  info,
  LoadResult,
  openLoop,
  profileEnv,
  round,
  Row,
  summary,
} from './lib';

const CONCURRENCY = 16;
/** The intake cost curve: accepted pushes/s at these numbers of concurrent callers (item 3). */
export const INTAKE_CURVE = [1, 4, 16, 64];
const PHASE_MS = 8_000;
const CURVE_PHASE_MS = 4_000;
const ROUNDS = 4;
const SLICE_MS = 3_000;

/** Slices of one load as one result. */
function merge(results: LoadResult[]): LoadResult {
  const ok = results.reduce((s, r) => s + r.ok, 0);
  const seconds = results.reduce((s, r) => s + r.seconds, 0);
  return {
    ok,
    failed: results.reduce((s, r) => s + r.failed, 0),
    seconds,
    perSecond: ok / seconds,
    latenciesMs: results.flatMap((r) => r.latenciesMs),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
}

/** Accepted pushes per second through the given gateways, closed loop; every push a new repository. */
export function gatewayLoad(
  gateways: string[],
  tag: string,
  authorization = basic(),
  durationMs = PHASE_MS,
  concurrency = CONCURRENCY,
): Promise<LoadResult> {
  const sha = () => randomBytes(20).toString('hex');
  return closedLoop(
    concurrency,
    durationMs,
    async (i) => void (await push(gateways[i % gateways.length], `${tag}-${i}`, sha(), authorization)),
  );
}

/** What the gateway does per push at the Temporal end, without the gateway: signalWithStart on the same server. */
function bareStart(stack: BenchStack, taskQueue: string) {
  return async (i: number) => {
    const sha = randomBytes(20).toString('hex');
    const repository = `octo-org/bare-${i}`;
    await stack.temporal.workflow.signalWithStart('deployment', {
      workflowId: `bare/${taskQueue}/${sha}`,
      taskQueue,
      args: [
        {
          deploymentId: `dep_${sha.slice(0, 20)}`,
          user: 'admin',
          repository,
          commit: sha,
          uuid: sha,
          provider: 'github',
          ciTimeoutMs: 3_600_000,
        },
      ],
      signal: 'push',
      signalArgs: [{ payloadId: `github:${sha}`, branch: 'main' }],
      searchAttributes: {
        [SEARCH_ATTRIBUTES.user]: ['admin'],
        [SEARCH_ATTRIBUTES.repository]: [repository],
        [SEARCH_ATTRIBUTES.commit]: [sha],
      },
    });
  };
}

/**
 * Benchmark 1: intake through the gateway (no worker: only starts) vs a bare Temporal client
 * loop. Each gateway phase sits between two bare phases of the same shape, and is compared
 * with their mean: the shared machine drifts within a run.
 */
export async function intake(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  // What bounds Basic auth: scrypt verifies per second in this process (libuv pool, 4 threads).
  const hash = await hashSecret(ADMIN.password);
  const scrypt = await closedLoop(4, 3_000, async () => void (await verifySecret(ADMIN.password, hash)));

  const bare = (concurrency: number, durationMs: number) => closedLoop(concurrency, durationMs, bareStart(stack, 'bench-bare'));
  const env = stack.env('intake');
  const gateway = await stack.gateway('gateway-intake', { ...env, ...profileEnv(stack, 'intake') });
  const token = (await httpJson('POST', `${gateway.url}/1/users/admin/tokens`, { name: 'bench' })).token as string;
  const tokenAuth = basic({ username: 'admin', password: token });
  await gatewayLoad([gateway.url], 'warm', basic(), 2_000);
  await gatewayLoad([gateway.url], 'warm-token', tokenAuth, 1_000);
  await bare(CONCURRENCY, 1_000);

  const pids = { gateway: gateway.process.child.pid!, mongo: stack.serverPids.mongo, temporal: stack.serverPids.temporal };
  // Short slices, interleaved, so the shared machine's drift falls on all three alike.
  const slices: Record<'bare' | 'password' | 'token', LoadResult[]> = { bare: [], password: [], token: [] };
  for (let round = 0; round < ROUNDS; round++) {
    slices.bare.push(await bare(CONCURRENCY, SLICE_MS));
    slices.password.push(await gatewayLoad([gateway.url], `peak${round}`, basic(), SLICE_MS));
    slices.token.push(await gatewayLoad([gateway.url], `token${round}`, tokenAuth, SLICE_MS));
  }
  const [bareAll, peak, withToken] = [merge(slices.bare), merge(slices.password), merge(slices.token)];
  const bareRate = bareAll.perSecond;
  const { cpuMsPerOp: gatewayCpu } = await cpuPerOperation(pids, () => gatewayLoad([gateway.url], 'cpu', basic(), SLICE_MS));
  const { cpuMsPerOp: bareCpu } = await cpuPerOperation(pids, () => bare(CONCURRENCY, SLICE_MS));

  const half = Math.max(1, peak.perSecond / 2);
  const barePaced = await openLoop(half, PHASE_MS, bareStart(stack, 'bench-bare'));
  const paced = await openLoop(half, PHASE_MS, async (i) => void (await push(gateway.url, `half-${i}`, randomBytes(20).toString('hex'))));
  const barePacedAfter = await openLoop(half, PHASE_MS, bareStart(stack, 'bench-bare'));

  const curve: Array<{ concurrency: number; gateway: number; bare: number; gatewayP99: number; bareP99: number }> = [];
  for (const c of INTAKE_CURVE) {
    const b = await bare(c, CURVE_PHASE_MS);
    const g = await gatewayLoad([gateway.url], `curve${c}`, basic(), CURVE_PHASE_MS, c);
    curve.push({
      concurrency: c,
      gateway: round(g.perSecond),
      bare: round(b.perSecond),
      gatewayP99: summary(g.latenciesMs).p99,
      bareP99: summary(b.latenciesMs).p99,
    });
  }
  await stack.stopChild(gateway.process);

  const latency = summary(paced.latenciesMs);
  const bareLatency = summary([...barePaced.latenciesMs, ...barePacedAfter.latenciesMs]);
  const rows: Row[] = [
    atLeast('accepted pushes/s, Basic user:password (c=16)', peak.perSecond, bareRate, '/s', 0.9),
    atLeast('accepted pushes/s, Basic user:apiToken (c=16)', withToken.perSecond, bareRate, '/s', 0.9),
    {
      figure: `accept latency p99 at half peak (${round(half)}/s)`,
      value: `${latency.p99} ms`,
      baseline: `${bareLatency.p99} ms (bare client, same rate)`,
      ratio: round(latency.p99 / bareLatency.p99, 2),
      target: 'ratio ≤ 1.5',
      pass: latency.p99 / bareLatency.p99 <= 1.5,
    },
    info(`accept latency p50 at half peak`, `${latency.p50} ms`, `${bareLatency.p50} ms`),
    ...curve.map((p) =>
      info(
        `  curve: pushes/s at c=${p.concurrency} (p99 gateway / bare)`,
        `${p.gateway} /s (${p.gatewayP99} ms)`,
        `${p.bare} /s (${p.bareP99} ms)`,
        round(p.gateway / p.bare, 2),
      ),
    ),
    info(
      'bound: CPU ms per push, gateway / MongoDB / Temporal / load generator (c=16)',
      cpuLine(gatewayCpu),
      `${cpuLine(bareCpu)} (bare)`,
      round(sum(gatewayCpu) / sum(bareCpu), 2),
    ),
    info('bound: scrypt verifies/s (N=16384, r=8; 4 pool threads)', `${round(scrypt.perSecond)} /s`),
  ];
  const strip = ({ latenciesMs, ...rest }: LoadResult) => ({ ...rest, latency: summary(latenciesMs) });
  return {
    rows,
    raw: {
      concurrency: CONCURRENCY,
      scrypt: strip(scrypt),
      bare: strip(bareAll),
      peak: strip(peak),
      withToken: strip(withToken),
      slices: Object.fromEntries(Object.entries(slices).map(([k, v]) => [k, v.map((r) => round(r.perSecond))])),
      gatewayCpu,
      bareCpu,
      paced: strip(paced),
      barePaced: strip(barePaced),
      barePacedAfter: strip(barePacedAfter),
      curve,
    },
  };
}

const cpuLine = (cpu: Record<string, number>) => `${cpu.gateway} / ${cpu.mongo} / ${cpu.temporal} / ${cpu.loadGenerator} ms`;
const sum = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
