import { randomBytes } from 'node:crypto';
import { hashSecret, verifySecret } from '../libs/auth/passwords';
import { SEARCH_ATTRIBUTES } from '../workflows/types';
import { push } from './deploys';
import { ADMIN, atLeast, atMost, basic, BenchStack, closedLoop, httpJson, info, LoadResult, openLoop, profileEnv, round, Row, summary } from './lib';

const CONCURRENCY = 16;
const PHASE_MS = 8_000;

/** Accepted pushes per second through the given gateways, closed loop; every push a new repository. */
export function gatewayLoad(gateways: string[], tag: string, authorization = basic(), durationMs = PHASE_MS): Promise<LoadResult> {
  const sha = () => randomBytes(20).toString('hex');
  return closedLoop(CONCURRENCY, durationMs, async (i) => void (await push(gateways[i % gateways.length], `${tag}-${i}`, sha(), authorization)));
}

/** What the gateway does per push at the Temporal end, without the gateway: signalWithStart on the same server. */
function bareStart(stack: BenchStack, taskQueue: string) {
  return async (i: number) => {
    const sha = randomBytes(20).toString('hex');
    const repository = `octo-org/bare-${i}`;
    await stack.temporal.workflow.signalWithStart('deployment', {
      workflowId: `bare/${taskQueue}/${sha}`,
      taskQueue,
      args: [{ deploymentId: `dep_${sha.slice(0, 20)}`, user: 'admin', repository, commit: sha, uuid: sha, provider: 'github', ciTimeoutMs: 3_600_000 }],
      signal: 'push',
      signalArgs: [{ payloadId: `github:${sha}`, branch: 'main' }],
      searchAttributes: { [SEARCH_ATTRIBUTES.user]: ['admin'], [SEARCH_ATTRIBUTES.repository]: [repository], [SEARCH_ATTRIBUTES.commit]: [sha] },
    });
  };
}

/** Benchmark 1: intake through the gateway (no worker: only starts) vs a bare Temporal client loop. */
export async function intake(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  // What bounds Basic auth: scrypt verifies per second in this process (libuv pool, 4 threads).
  const hash = await hashSecret(ADMIN.password);
  const scrypt = await closedLoop(4, 3_000, async () => void (await verifySecret(ADMIN.password, hash)));

  const bare = await closedLoop(CONCURRENCY, PHASE_MS, bareStart(stack, 'bench-bare'));
  const env = stack.env('intake');
  const gateway = await stack.gateway('gateway-intake', { ...env, ...profileEnv(stack, 'intake') });
  const token = (await httpJson('POST', `${gateway.url}/1/users/admin/tokens`, { name: 'bench' })).token as string;
  await gatewayLoad([gateway.url], 'warm', basic(), 2_000);
  const peak = await gatewayLoad([gateway.url], 'peak');
  const half = Math.max(1, peak.perSecond / 2);
  const paced = await openLoop(half, PHASE_MS, async (i) => void (await push(gateway.url, `half-${i}`, randomBytes(20).toString('hex'))));
  const barePaced = await openLoop(half, PHASE_MS, bareStart(stack, 'bench-bare'));
  const withToken = await gatewayLoad([gateway.url], 'token', basic({ username: 'admin', password: token }));
  await stack.stopChild(gateway.process);

  const latency = summary(paced.latenciesMs);
  const bareLatency = summary(barePaced.latenciesMs);
  const rows: Row[] = [
    atLeast('accepted pushes/s, Basic user:password (c=16)', peak.perSecond, bare.perSecond, '/s', 0.8),
    atLeast('accepted pushes/s, Basic user:apiToken (c=16)', withToken.perSecond, bare.perSecond, '/s', 0.8),
    atMost(`accept latency p99 at half peak (${round(half)}/s)`, latency.p99, bareLatency.p99, 'ms', 100, '(bare client, same rate)'),
    info(`accept latency p50 at half peak`, `${latency.p50} ms`, `${bareLatency.p50} ms`),
    info('bound: scrypt verifies/s (N=16384, r=8; 4 pool threads)', `${round(scrypt.perSecond)} /s`),
  ];
  const strip = ({ latenciesMs, ...rest }: LoadResult) => ({ ...rest, latency: summary(latenciesMs) });
  return { rows, raw: { concurrency: CONCURRENCY, scrypt: strip(scrypt), bare: strip(bare), peak: strip(peak), paced: strip(paced), barePaced: strip(barePaced), withToken: strip(withToken) } };
}
