import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeploymentProcessor } from '../../apps/receiver/deployment-processor.service';
import { TargetClient } from '../../libs/targets';
import { githubTarball } from '../support/archives';
import { archiveOf, deploymentPackage, rawStatus, RunningReceiver, startReceiver, tempDirs, waitForFinal } from './helpers';

const client = new TargetClient({ timeoutMs: 10_000, outbound: { allow: ['127.0.0.1'] } }); // a loopback receiver
const DAY = 86_400_000;

/** Data that only grows (docs/reliability.md#retention): the reference receiver forgets ended packages after RECEIVER_PACKAGE_RETENTION. */
describe('the receiver bounds what it remembers', () => {
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let receiver: RunningReceiver | undefined;
  beforeAll(async () => (dirs = await tempDirs()));
  afterAll(async () => {
    await receiver?.close();
    await dirs.cleanup();
  });

  it('drops ended packages older than the retention (memory and disk) and keeps recent ones; an app with no work holds no chain', async () => {
    receiver = await startReceiver({ deployDir: dirs.deployDir, stateDir: dirs.stateDir, packageRetentionMs: 7 * DAY });
    const tarball = await githubTarball();
    const pkgs = ['old-ok', 'old-failed', 'recent'].map((name) => deploymentPackage({ app: { name, version: '1.0.0' } }));
    for (const pkg of pkgs) await client.push(receiver.target, pkg, [archiveOf(tarball)]);
    for (const pkg of pkgs) expect((await waitForFinal(client, receiver.target, pkg._doc)).state).toBe('SUCCESS');
    const processor = receiver.app.get(DeploymentProcessor);
    await processor.idle();
    expect(processor.busyApps).toBe(0); // main: one chain per app ever deployed, for ever
    await receiver.close();

    // Age two of them: ended eight days ago (one as ERROR).
    const file = (id: string) => join(dirs.stateDir, 'packages', `${id}.json`);
    for (const [pkg, state] of [
      [pkgs[0], 'SUCCESS'],
      [pkgs[1], 'ERROR'],
    ] as const) {
      const stored = JSON.parse(await readFile(file(pkg._doc), 'utf8'));
      stored.state = state;
      stored.history.at(-1).at = new Date(Date.now() - 8 * DAY).toISOString();
      await writeFile(file(pkg._doc), JSON.stringify(stored));
    }

    receiver = await startReceiver({ deployDir: dirs.deployDir, stateDir: dirs.stateDir, packageRetentionMs: 7 * DAY });
    const statusOf = async (id: string) => (await fetch(`${receiver!.url}/status/${id}`)).status;
    expect([await statusOf(pkgs[0]._doc), await statusOf(pkgs[1]._doc), await statusOf(pkgs[2]._doc)]).toEqual([404, 404, 200]);
    expect(pkgs.map((pkg) => existsSync(file(pkg._doc)))).toEqual([false, false, true]);
    expect((await rawStatus(receiver.target, pkgs[2]._doc)).state).toBe('SUCCESS');
  });
});
