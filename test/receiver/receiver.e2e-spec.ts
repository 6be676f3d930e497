import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip, githubTarball, githubTopDir, HOSTILE_REASONS, HostileKind, hostileTarball, TEST_LIMITS } from '../support/archives';
import { DeploymentTarget, TargetClient } from '../../libs/targets';
import { archiveOf, deploymentPackage, listFiles, rawStatus, RunningReceiver, startReceiver, tempDirs, waitForFinal } from './helpers';

const client = new TargetClient({ timeoutMs: 10_000, outbound: { allow: ['127.0.0.1'] } }); // a loopback receiver
let dirs: Awaited<ReturnType<typeof tempDirs>>;
let receiver: RunningReceiver;

beforeEach(async () => {
  dirs = await tempDirs();
  receiver = await startReceiver({
    deployDir: dirs.deployDir,
    stateDir: dirs.stateDir,
    maxEntries: TEST_LIMITS.maxEntries,
    maxExtractedBytes: TEST_LIMITS.maxBytes,
  });
});
afterEach(async () => {
  await receiver.close();
  await dirs.cleanup();
});

const states = (history: Array<{ state: string }>) => history.map((h) => h.state);

describe.each(['tar.gz', 'zip'] as const)('deploying a %s archive', (archiveFormat) => {
  it('extracts the repository without its wrapper and records every transition', async () => {
    const target: DeploymentTarget = { ...receiver.target, archiveFormat };
    const tarball = await githubTarball({
      files: { 'index.js': 'console.log(1)', 'lib/util.js': 'module.exports = 2', 'manifest.json': '{"app":true}' },
    });
    const pkg = deploymentPackage();
    const { remoteId } = await client.push(target, pkg, [archiveOf(tarball)]);
    expect(remoteId).toBe(pkg._doc);

    const status = await waitForFinal(client, target, remoteId);
    expect(status.state).toBe('SUCCESS');
    expect(states(status.history as never)).toEqual(['PENDING', 'PROCESSING', 'SUCCESS']);
    expect(status.records).toHaveLength(1);
    expect(status.records[0]).toMatchObject({ _doc: 'rec-1', state: 'FINISHED', success: true, operation: 'DEPLOY' });
    expect(states((status.records[0] as never as { history: never }).history)).toEqual(['NONE', 'PROCESSING', 'FINISHED']);
    // The app's own manifest.json survives; the zip's inventory (beside the wrapper) is not extracted over it.
    expect(await listFiles(join(dirs.deployDir, 'shop'))).toEqual({
      'package.json': JSON.stringify({ name: 'app', version: '1.0.0' }),
      'index.js': 'console.log(1)',
      'lib/util.js': 'module.exports = 2',
      'manifest.json': '{"app":true}',
    });
    // The kept package holds the app's env: readable by the receiver's user only.
    expect(statSync(join(dirs.stateDir, 'packages', `${pkg._doc}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dirs.stateDir, 'packages')).mode & 0o777).toBe(0o700);
  });

  it.each(['symlink_escape', 'dot_dot', 'char_device', 'too_many_entries'] as HostileKind[])(
    'turns the hostile archive %s into an ERROR record naming the reason',
    async (kind) => {
      const pkg = deploymentPackage();
      if (archiveFormat === 'zip' && kind !== 'too_many_entries') {
        // The client refuses to repack a hostile tarball: the same rules run on both sides.
        const refused = await client
          .push({ ...receiver.target, archiveFormat }, pkg, [archiveOf(await hostileTarball(kind))])
          .catch((err) => err);
        expect(refused).toMatchObject({ name: 'TargetError', kind: 'archive', retryable: false });
        return;
      }
      const target: DeploymentTarget = { ...receiver.target, archiveFormat };
      await client.push(target, pkg, [archiveOf(await hostileTarball(kind))]);
      const status = await waitForFinal(client, target, pkg._doc);
      expect(status.state).toBe('ERROR');
      expect(status.records[0].state).toBe('ERROR');
      expect(status.records[0].success).toBe(false);
      expect(status.records[0].message).toContain(`deploy:tar:${HOSTILE_REASONS[kind]}`);
      expect(existsSync(join(dirs.deployDir, 'shop'))).toBe(false);
      expect(existsSync(join(dirs.root, 'outside'))).toBe(false);
      expect(existsSync(join(dirs.root, 'evil.txt'))).toBe(false);
    },
  );
});

describe('the reference receiver', () => {
  it('applies the rules to zips too: a symlink leaving the app is an ERROR record', async () => {
    const top = githubTopDir();
    const zip = await buildZip([
      { name: `${top}/index.js`, content: 'ok' },
      { name: `${top}/escape`, type: 'symlink', linkname: '../../../etc' },
    ]);
    const pkg = deploymentPackage();
    await client.push(receiver.target, pkg, [archiveOf(zip)]);
    const status = await waitForFinal(client, receiver.target, pkg._doc);
    expect(status.records[0]).toMatchObject({ state: 'ERROR', success: false });
    expect(status.records[0].message).toContain('deploy:tar:unsafe_link');
  });

  it('rejects a zip whose manifest lists files it does not hold', async () => {
    const top = githubTopDir();
    const manifest = { format: 1, root: top, entries: [{ path: 'missing.js', type: 'file', size: 3 }] };
    const zip = await buildZip([
      { name: `${top}/index.js`, content: 'ok' },
      { name: 'manifest.json', content: JSON.stringify(manifest) },
    ]);
    const pkg = deploymentPackage();
    await client.push(receiver.target, pkg, [archiveOf(zip)]);
    const status = await waitForFinal(client, receiver.target, pkg._doc);
    expect(status.records[0].message).toContain('deploy:tar:corrupt');
  });

  it('processes the same _doc once however often it is pushed', async () => {
    let executed = 0;
    await receiver.close();
    receiver = await startReceiver({
      deployDir: dirs.deployDir,
      stateDir: dirs.stateDir,
      hooks: { execute: async () => void (executed += 1) },
    });
    const pkg = deploymentPackage();
    const tarball = await githubTarball();
    const first = await client.push(receiver.target, pkg, [archiveOf(tarball)]);
    await waitForFinal(client, receiver.target, pkg._doc);
    const second = await client.push(receiver.target, pkg, [archiveOf(tarball)]);
    expect(second.remoteId).toBe(first.remoteId);
    const status = await waitForFinal(client, receiver.target, pkg._doc);
    expect(states(status.history as never)).toEqual(['PENDING', 'PROCESSING', 'SUCCESS']);
    expect(executed).toBe(1);
  });

  it('keeps the previous release under .releases/<app>/ when retain is set, replaces it otherwise', async () => {
    const v1 = deploymentPackage();
    await client.push(receiver.target, v1, [archiveOf(await githubTarball({ files: { 'old.js': 'v1' } }))]);
    await waitForFinal(client, receiver.target, v1._doc);
    const v2 = deploymentPackage({ retain: true });
    await client.push(receiver.target, v2, [archiveOf(await githubTarball({ files: { 'new.js': 'v2' } }))]);
    expect((await waitForFinal(client, receiver.target, v2._doc)).state).toBe('SUCCESS');
    const files = await listFiles(join(dirs.deployDir, 'shop'));
    expect(files['new.js']).toBe('v2');
    expect(files['old.js']).toBeUndefined();
    expect((await listFiles(join(dirs.deployDir, '.releases', 'shop')))[`${v1._doc}/old.js`]).toBe('v1');

    const v3 = deploymentPackage({ retain: false });
    await client.push(receiver.target, v3, [archiveOf(await githubTarball({ files: { 'third.js': 'v3' } }))]);
    await waitForFinal(client, receiver.target, v3._doc);
    const after = await listFiles(join(dirs.deployDir, 'shop'));
    expect(after['third.js']).toBe('v3');
    expect(after['new.js']).toBeUndefined();
    const kept = Object.keys(await listFiles(join(dirs.deployDir, '.releases', 'shop'))).map((file) => file.split('/')[0]);
    expect([...new Set(kept)]).toEqual([v3._doc]); // without retain, only the live release stays
  });

  it('undeploys an app, or keeps its files when retain is set', async () => {
    const deploy = deploymentPackage();
    await client.push(receiver.target, deploy, [archiveOf(await githubTarball())]);
    await waitForFinal(client, receiver.target, deploy._doc);
    const keep = deploymentPackage({ operation: 'UNDEPLOY', retain: true, records: [] });
    await client.push(receiver.target, keep, []);
    const kept = await waitForFinal(client, receiver.target, keep._doc);
    expect(kept.records[0]).toMatchObject({ state: 'FINISHED', operation: 'UNDEPLOY', message: 'retained: files kept' });
    expect(existsSync(join(dirs.deployDir, 'shop', 'package.json'))).toBe(true);

    const remove = deploymentPackage({ operation: 'UNDEPLOY', records: [{ _doc: 'u1', operation: 'UNDEPLOY', ref: 'shop' }] });
    await client.push(receiver.target, remove, []);
    const removed = await waitForFinal(client, receiver.target, remove._doc);
    expect(removed.state).toBe('SUCCESS');
    expect(states((removed.records[0] as never as { history: never }).history)).toEqual(['NONE', 'PROCESSING', 'FINISHED']);
    expect(existsSync(join(dirs.deployDir, 'shop'))).toBe(false);
  });

  it('runs the hooks in order and turns a throwing hook into ERROR with its message', async () => {
    const calls: string[] = [];
    await receiver.close();
    receiver = await startReceiver({
      deployDir: dirs.deployDir,
      stateDir: dirs.stateDir,
      hooks: {
        before: async () => void calls.push('before'),
        entry: async (_pkg, header) => void calls.push(`entry:${header.name.split('/').pop()}`),
        execute: async (_pkg, record, dir) => {
          calls.push(`execute:${record._doc}:${existsSync(join(dir, 'package.json'))}`);
          if (_pkg.app.name === 'broken') throw new Error('smoke test failed');
        },
        after: async () => void calls.push('after'),
      },
    });
    const ok = deploymentPackage();
    await client.push(receiver.target, ok, [archiveOf(await githubTarball())]);
    expect((await waitForFinal(client, receiver.target, ok._doc)).state).toBe('SUCCESS');
    expect(calls).toEqual(['before', 'entry:package.json', 'execute:rec-1:true', 'after']);

    const broken = deploymentPackage({ app: { name: 'broken', version: '1' } });
    await client.push(receiver.target, broken, [archiveOf(await githubTarball())]);
    const failed = await waitForFinal(client, receiver.target, broken._doc);
    expect(failed).toMatchObject({ state: 'ERROR', message: 'smoke test failed' });
    expect(failed.records[0]).toMatchObject({ state: 'ERROR', message: 'smoke test failed', success: false });
    expect(existsSync(join(dirs.deployDir, 'broken'))).toBe(false);
  });

  it('answers /status after a restart, resumes nothing finished and fails what was interrupted', async () => {
    const done = deploymentPackage();
    await client.push(receiver.target, done, [archiveOf(await githubTarball())]);
    await waitForFinal(client, receiver.target, done._doc);
    await receiver.close();

    // A receiver whose processing hangs, abandoned without shutting down: a crash.
    let reached!: () => void;
    const hanging = new Promise<void>((resolve) => (reached = resolve));
    const crashed = await startReceiver({
      deployDir: dirs.deployDir,
      stateDir: dirs.stateDir,
      shutdownGraceMs: 0,
      hooks: { execute: () => (reached(), new Promise<void>(() => undefined)) },
    });
    const stuck = deploymentPackage({ app: { name: 'stuck', version: '1' } });
    await client.push(crashed.target, stuck, [archiveOf(await githubTarball())]);
    await hanging;
    expect((await rawStatus(crashed.target, stuck._doc)).state).toBe('PROCESSING');

    receiver = await startReceiver({ deployDir: dirs.deployDir, stateDir: dirs.stateDir });
    await crashed.close();
    expect((await rawStatus(receiver.target, done._doc)).state).toBe('SUCCESS');
    const interrupted = await rawStatus(receiver.target, stuck._doc);
    expect(interrupted.state).toBe('ERROR');
    expect(interrupted.records[0]).toMatchObject({ state: 'ERROR', message: 'interrupted by a receiver restart' });
    expect(states(interrupted.history)).toEqual(['PENDING', 'PROCESSING', 'ERROR']);
  });
});
