import { randomBytes } from 'node:crypto';
import { githubTarball } from '../test/support/archives';
import type { DeploymentOutcome } from '../workflows/types';
import { push, deploymentStack, OWNER } from './deploys';
import { BenchStack, httpJson, median, round, Row } from './lib';

const ROUNDS = Number(process.env.BENCH_ROLLBACK_ROUNDS ?? 3);

/**
 * A rollback from a kept tarball, end to end (request → workflow result), against a
 * fresh push deployment of the same ~10 MB tarball in the same run. A rollback skips the GitHub
 * reads, the download and the inspection, so it should take at most half as long. A rollback by
 * ACTIVATE, of an app whose receiver retains its releases, uploads nothing either: at most a tenth.
 */
export async function rollback(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const deployments = await deploymentStack(stack, 'rollback');
  try {
    const gateway = deployments.gatewayUrls[0];
    const tarball = await githubTarball({
      owner: OWNER,
      repo: 'rollback-app',
      files: { 'index.js': 'console.log("hi")\n', 'blob.txt': randomBytes(7_500_000).toString('base64') },
    });
    const result = async (workflowId: string) => {
      const outcome = (await stack.temporal.workflow.getHandle(workflowId).result()) as DeploymentOutcome;
      if (outcome.state !== 'succeeded') throw new Error(`${workflowId} ${outcome.state}: ${outcome.error?.code}`);
    };
    /** Pushes and rollbacks of one app, alternating, each timed end to end. */
    const measure = async (repo: string, retain: boolean) => {
      const files: Record<string, Record<string, string>> = {};
      const tarballs: Record<string, Buffer> = {};
      deployments.github!.repositories.set(`${OWNER}/${repo}`, { files, tarballs });
      const commit = () => {
        const sha = randomBytes(20).toString('hex');
        files[sha] = { 'package.json': JSON.stringify({ name: repo, version: '1.0.0' }) };
        tarballs[sha] = tarball;
        return sha;
      };
      await httpJson('PUT', `${gateway}/1/apps/admin/${repo}`, { repository: `${OWNER}/${repo}`, retain });
      await result((await push(gateway, repo, commit())).workflowId); // v1, warms the worker up
      const pushes: number[] = [];
      const rollbacks: number[] = [];
      let lastLog: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        let started = Date.now();
        await result((await push(gateway, repo, commit())).workflowId);
        pushes.push(Date.now() - started);
        started = Date.now();
        const rolledBack = await httpJson('POST', `${gateway}/1/apps/admin/${repo}/rollback`, {});
        if (!rolledBack.workflowId) throw new Error(`rollback answered ${JSON.stringify(rolledBack).slice(0, 200)}`);
        await result(rolledBack.workflowId);
        rollbacks.push(Date.now() - started);
        // The last rollback's status log, each entry's ms since the request: where its time went.
        const entries = (await httpJson('GET', `${gateway}/1/deployments/${rolledBack.id}`)).steps as Array<{
          step: string;
          status: string;
          ts: string;
        }>;
        lastLog = entries.map((e) => `${e.step}:${e.status} +${new Date(e.ts).getTime() - started}`);
        await httpJson('POST', `${gateway}/1/apps/admin/${repo}/unlock`, {});
      }
      return { pushes, rollbacks, lastLog };
    };
    const uploaded = await measure('rollback-app', false);
    // Rollback by ACTIVATE (docs/contract.md#activate): the receiver retains the app's releases.
    const activated = await measure('rollback-retained', true);
    const ratio = median(uploaded.rollbacks) / median(uploaded.pushes);
    const activateRatio = median(activated.rollbacks) / median(activated.pushes);
    const rows: Row[] = [
      {
        figure: 'rollback from a kept ~10 MB tarball, end to end (median)',
        value: `${round(median(uploaded.rollbacks))} ms`,
        baseline: `${round(median(uploaded.pushes))} ms (a push deployment of the same tarball)`,
        ratio: round(ratio, 2),
        target: 'ratio ≤ 0.5',
        pass: ratio <= 0.5,
      },
      {
        figure: 'rollback by ACTIVATE (the receiver retains the ~10 MB release), end to end (median)',
        value: `${round(median(activated.rollbacks))} ms`,
        baseline: `${round(median(activated.pushes))} ms (a push deployment of the same tarball, same run)`,
        ratio: round(activateRatio, 2),
        target: 'ratio ≤ 0.1',
        pass: activateRatio <= 0.1,
      },
    ];
    return { rows, raw: { uploaded, activated, tarballBytes: tarball.length } };
  } finally {
    await deployments.stop();
  }
}
