import { AddressInfo, createServer, Socket } from 'node:net';
import { DEFAULT_ACTIVITIES_PER_USER_PER_SECOND } from '../libs/config';
import type { DeploymentOutcome } from '../workflows/types';
import { commitMany, deploymentStack, megabyteTarball, OWNER, push } from './deploys';
import { basic, BenchStack, HOST, httpJson, median, round, Row, sleep } from './lib';

const ROUNDS = Number(process.env.BENCH_NEIGHBOUR_ROUNDS ?? 5);
const BOB_PUSHES = Number(process.env.BENCH_NEIGHBOUR_PUSHES ?? 300);
/** As many subscriptions as the default limits let one user have: 20 per app, 100 per user. */
const BOB_APPS = 5;
const PER_APP = 20;

/**
 * Noisy neighbours (docs/reliability.md#tenant-isolation-review): alice's deployment, push to done, while
 * another user, bob, (1) has every subscription the limits allow pointed at a tarpit that accepts
 * connections and never answers, each of his apps deploying, and (2) has 300 pushes in flight,
 * against alice's time alone in the same run.
 */
export async function neighbours(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  // The product's default per-user activity rate unless BENCH_TENANT_RATE tries another.
  const perUser = process.env.BENCH_TENANT_RATE ?? String(DEFAULT_ACTIVITIES_PER_USER_PER_SECOND);
  const deployments = await deploymentStack(stack, 'neighbours', { env: { TENANT_ACTIVITIES_PER_SECOND: perUser } });
  const tarpit = await startTarpit();
  try {
    const gateway = deployments.gatewayUrls[0];
    const github = deployments.github!;
    const tarball = await megabyteTarball('neighbours');
    const alice = { username: 'alice', password: 'alice-bench-password' };
    const bob = { username: 'bob', password: 'bob-bench-password' };
    for (const user of [alice, bob]) await httpJson('POST', `${gateway}/1/users`, user);
    const result = async (workflowId: string) => {
      const outcome = (await stack.temporal.workflow.getHandle(workflowId).result()) as DeploymentOutcome;
      if (outcome.state !== 'succeeded') throw new Error(`${workflowId} ${outcome.state}: ${outcome.error?.code}`);
    };
    const breakdown: Record<string, Array<Record<string, number>>> = {};
    /** Alice's deployments one after another; each one's time from the push to its workflow's end. */
    const aliceRounds = async (label: string): Promise<number[]> => {
      const times: number[] = [];
      for (const { repo, sha } of commitMany(github, `alice-${label}`, ROUNDS, tarball)) {
        const started = Date.now();
        const { workflowId } = await push(gateway, repo, sha, basic(alice));
        const accepted = Date.now() - started;
        await result(workflowId);
        times.push(Date.now() - started);
        (breakdown[label] ??= []).push({ accepted, ...(await taskWaits(stack, workflowId)) });
      }
      return times;
    };
    await aliceRounds('warm-up');
    const alone = await aliceRounds('alone');

    // 1. Bob's subscriptions, all at the tarpit; each of his apps deploys, so every one has deliveries hanging.
    const bobApps = commitMany(github, 'bob-hooks', BOB_APPS, tarball);
    for (const { repo } of bobApps) {
      await httpJson('PUT', `${gateway}/1/apps/bob/${repo}`, { repository: `${OWNER}/${repo}` }, bob);
      for (let i = 0; i < PER_APP; i++) {
        const added = await httpJson(
          'POST',
          `${gateway}/1/apps/bob/${repo}/notifications`,
          { url: `${tarpit.url}/${i}`, events: ['deployment.queued', 'deployment.started', 'deployment.succeeded'] },
          bob,
        );
        if (!added.id) throw new Error(`bob's subscription answered ${JSON.stringify(added).slice(0, 200)}`);
      }
    }
    await Promise.all(bobApps.map(async ({ repo, sha }) => result((await push(gateway, repo, sha, basic(bob))).workflowId)));
    const tarpitted = await aliceRounds('tarpit');
    const held = tarpit.sockets.length;

    // 2. Bob's 300 pushes, all sent at once (50 webhooks in flight, as deployAll), alice measured while they run.
    const storm = commitMany(github, 'bob-storm', BOB_PUSHES, tarball);
    let next = 0;
    let bobFinished = 0;
    let bobFailed = 0;
    const bobDone: Array<Promise<void>> = [];
    const sending = Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let i = next++; i < storm.length; i = next++) {
          const { repo, sha } = storm[i];
          bobDone.push(
            push(gateway, repo, sha, basic(bob))
              .then(({ workflowId }) => result(workflowId))
              .then(() => void bobFinished++)
              .catch(() => void bobFailed++), // not waited for below: the stack stops under the rest
          );
        }
      }),
    );
    await sleep(2_000); // bob's pushes are arriving and deploying
    const crowded = await aliceRounds('storm');
    const bobFinishedMeanwhile = bobFinished; // under BOB_PUSHES: alice was measured while bob's were in flight
    await sending;
    if (bobFailed > 0) throw new Error(`${bobFailed} of bob's pushes were refused or failed while alice was measured`);

    const row = (figure: string, times: number[], max: number): Row => {
      const ratio = median(times) / median(alone);
      return {
        figure,
        value: `${round(median(times))} ms`,
        baseline: `${round(median(alone))} ms (alice alone)`,
        ratio: round(ratio, 2),
        target: `ratio ≤ ${max}`,
        pass: ratio <= max,
      };
    };
    return {
      rows: [
        row(`alice's deployment while bob's ${BOB_APPS * PER_APP} subscriptions hang at a tarpit (median)`, tarpitted, 2),
        row(`alice's deployment while bob has ${BOB_PUSHES} pushes in flight (median; ${perUser} activities/s per user)`, crowded, 3),
      ],
      raw: {
        activitiesPerUserPerSecond: Number(perUser),
        alone,
        tarpitted,
        crowded,
        tarpitConnections: held,
        bobFinishedMeanwhile,
        breakdown,
      },
    };
  } finally {
    await deployments.stop();
    await tarpit.stop();
  }
}

/** Accepts connections and never answers. */
async function startTarpit(): Promise<{ url: string; sockets: Socket[]; stop(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => void sockets.push(socket.on('error', () => undefined)));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return {
    url: `http://${HOST}:${(server.address() as AddressInfo).port}/hook`,
    sockets,
    stop: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Where a deployment's run went, from its history: workflow and activity tasks waiting on the
 * queue (what fairness orders) and running (what CPU and the stores bound).
 */
async function taskWaits(stack: BenchStack, workflowId: string): Promise<Record<string, number>> {
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const events = history.events ?? [];
  const at = new Map<string, number>(events.map((e) => [String(e.eventId), ms(e.eventTime)]));
  const sums = {
    run: ms(events.at(-1)?.eventTime) - ms(events[0]?.eventTime),
    wftQueued: 0,
    wftRunning: 0,
    activityQueued: 0,
    activityRunning: 0,
  };
  for (const e of events) {
    const t = ms(e.eventTime);
    if (e.workflowTaskStartedEventAttributes) sums.wftQueued += t - at.get(String(e.workflowTaskStartedEventAttributes.scheduledEventId))!;
    if (e.workflowTaskCompletedEventAttributes)
      sums.wftRunning += t - at.get(String(e.workflowTaskCompletedEventAttributes.startedEventId))!;
    if (e.activityTaskStartedEventAttributes)
      sums.activityQueued += t - at.get(String(e.activityTaskStartedEventAttributes.scheduledEventId))!;
    if (e.activityTaskCompletedEventAttributes)
      sums.activityRunning += t - at.get(String(e.activityTaskCompletedEventAttributes.startedEventId))!;
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Math.round(v)]));
}
