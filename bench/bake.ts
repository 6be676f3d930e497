import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { githubTarball } from '../test/support/archives';
import type { DeploymentOutcome } from '../workflows/types';
import { commitMany, deploymentStack, OWNER, push } from './deploys';
import { durationMs } from '../libs/apps/health-check';
import { atLeast, BenchStack, cpuMs, HOST, httpJson, info, round, Row, rssMb, sleep } from './lib';

const BAKING = Number(process.env.BENCH_BAKING ?? 200);
const BAKE = process.env.BENCH_BAKE ?? '90s';
const INTERVAL = process.env.BENCH_BAKE_INTERVAL ?? '10s';
const WINDOW_MS = 20_000;

/**
 * Health-checked bakes (docs/contract.md#verified-releases): BENCH_BAKING deployments (default 200,
 * twice the worker's 100 activity slots) baking at once. Between probes a bake is a durable timer,
 * not a held activity slot, so all of them bake together and the worker is near idle meanwhile:
 * its CPU over a window of the bake against its idle CPU before the pushes, and its RSS per baking
 * deployment.
 */
export async function bake(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const probed = new Set<string>();
  let probes = 0;
  const health = createServer((req, res) => {
    probes++;
    probed.add(req.url ?? '');
    res.end('ok');
  });
  await new Promise<void>((resolve) => health.listen(0, HOST, resolve));
  const healthUrl = `http://${HOST}:${(health.address() as AddressInfo).port}`;
  // One app per baking deployment: more than a user's default cap of apps.
  const deployments = await deploymentStack(stack, 'bake', { env: { APPS_MAX_PER_USER: String(BAKING + 10) } });
  try {
    const gateway = deployments.gatewayUrls[0];
    const worker = deployments.workers[0].child.pid!;
    const tarball = await githubTarball({ owner: OWNER, repo: 'baked', files: { 'index.js': 'console.log("hi")\n' } });
    const apps = commitMany(deployments.github!, 'baked', BAKING, tarball);
    for (const { repo } of apps) {
      const healthCheck = { url: `${healthUrl}/${repo}`, interval: INTERVAL, timeout: '2s', bake: BAKE };
      await httpJson('PUT', `${gateway}/1/apps/admin/${repo}`, { repository: `${OWNER}/${repo}`, healthCheck });
    }
    await sleep(2_000);
    const idleRss = rssMb(worker);
    let cpu = cpuMs(worker);
    await sleep(WINDOW_MS);
    const idleCpuShare = (cpuMs(worker) - cpu) / WINDOW_MS;

    const started = Date.now();
    const pushed = await Promise.all(apps.map(({ repo, sha }) => push(gateway, repo, sha)));
    // Every deployment has probed its URL once: all are in their bake.
    while (probed.size < BAKING) {
      if (Date.now() - started > 10 * 60_000) throw new Error(`only ${probed.size} of ${BAKING} deployments reached their bake`);
      await sleep(200);
    }
    const allBaking = Date.now() - started;
    await sleep(2_000);
    const bakingRss = rssMb(worker);
    cpu = cpuMs(worker);
    const probesBefore = probes;
    await sleep(WINDOW_MS);
    const bakingCpuShare = (cpuMs(worker) - cpu) / WINDOW_MS;
    const probesInWindow = probes - probesBefore;
    const outcomes = await Promise.all(
      pushed.map(async (p) => (await stack.temporal.workflow.getHandle(p.workflowId).result()) as DeploymentOutcome),
    );
    const failed = outcomes.filter((o) => o.state !== 'succeeded');
    if (failed.length) throw new Error(`${failed.length} deployments did not succeed: ${JSON.stringify(failed[0]).slice(0, 200)}`);
    const rssPerBake = (bakingRss - idleRss) / BAKING;
    // All of them bake at once (more than the worker's 100 activity slots): a probe per interval each.
    const expectedProbes = (BAKING * WINDOW_MS) / (durationMs(INTERVAL) ?? 10_000);
    const rows: Row[] = [
      atLeast(
        `health probes in ${WINDOW_MS / 1000} s while ${BAKING} deployments bake (${BAKE} at ${INTERVAL}), against one per interval each`,
        probesInWindow,
        expectedProbes,
        'probes',
        0.9,
      ),
      info(
        'worker CPU while they bake (share of one core)',
        `${round(bakingCpuShare * 100)} %`,
        `${round(idleCpuShare * 100)} % idle, before the pushes`,
      ),
      info('worker CPU per probe', `${round((bakingCpuShare * WINDOW_MS) / Math.max(1, probesInWindow), 2)} ms`),
      info(
        'worker RSS per baking deployment',
        `${round(rssPerBake * 1024)} KiB`,
        `${round(idleRss)} MB idle, ${round(bakingRss)} MB baking`,
      ),
      info(`from the pushes to all ${BAKING} baking`, `${round(allBaking / 1000)} s`),
    ];
    return { rows, raw: { idleCpuShare, bakingCpuShare, idleRss, bakingRss, probesInWindow, allBakingMs: allBaking } };
  } finally {
    await deployments.stop();
    health.close();
  }
}
