import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeploymentPackage, TargetClient } from '../../libs/targets';
import { githubTarball } from '../support/archives';
import { archiveOf, deploymentPackage, RunningReceiver, startReceiver, tempDirs, waitForFinal } from './helpers';

/**
 * ACTIVATE and kept releases on the real reference receiver (docs/contract.md#activate): a
 * retaining app's releases each in `.releases/<app>/<_doc>/`, the app's path one link switched
 * atomically, the last RECEIVER_RELEASES_KEPT kept, `receiver:release_not_kept` for the others.
 */
const client = new TargetClient({ timeoutMs: 10_000, outbound: { allow: ['127.0.0.1'] } }); // a loopback receiver
let dirs: Awaited<ReturnType<typeof tempDirs>>;
let receiver: RunningReceiver;

async function start(releasesKept?: number): Promise<void> {
  receiver = await startReceiver({ deployDir: dirs.deployDir, stateDir: dirs.stateDir, ...(releasesKept ? { releasesKept } : {}) });
}

beforeEach(async () => {
  dirs = await tempDirs();
  await start();
});
afterEach(async () => {
  await receiver.close();
  await dirs.cleanup();
});

const live = (file: string, app = 'shop') => readFile(join(dirs.deployDir, app, file), 'utf8');

/** A retained DEPLOY whose release holds a.txt and b.txt, both `content`. */
async function deploy(content: string, overrides: Partial<DeploymentPackage> = {}): Promise<DeploymentPackage> {
  const pkg = deploymentPackage({ retain: true, ...overrides });
  await client.push(receiver.target, pkg, [archiveOf(await githubTarball({ files: { 'a.txt': content, 'b.txt': content } }))]);
  expect((await waitForFinal(client, receiver.target, pkg._doc)).state).toBe('SUCCESS');
  return pkg;
}

function activation(activates: string, app = 'shop'): DeploymentPackage {
  return deploymentPackage({ operation: 'ACTIVATE', activates, app: { name: app, version: '1.0.0' }, records: [] });
}

async function activate(activates: string, app = 'shop') {
  const pkg = activation(activates, app);
  await client.push(receiver.target, pkg, []);
  return waitForFinal(client, receiver.target, pkg._doc);
}

const states = (history: Array<{ state: string }>) => history.map((h) => h.state);

describe('ACTIVATE', () => {
  it('makes an earlier retained release live again, reporting states as a DEPLOY does', async () => {
    const [v1, v2, v3] = [await deploy('one'), await deploy('two'), await deploy('three')];
    expect(await live('a.txt')).toBe('three');
    expect(lstatSync(join(dirs.deployDir, 'shop')).isSymbolicLink()).toBe(true);
    for (const v of [v1, v2, v3]) expect(existsSync(join(dirs.deployDir, '.releases', 'shop', v._doc, 'a.txt'))).toBe(true);

    const status = await activate(v1._doc);
    expect(status).toMatchObject({ state: 'SUCCESS', operation: 'ACTIVATE' });
    expect(states(status.history as never)).toEqual(['PENDING', 'PROCESSING', 'SUCCESS']);
    expect(status.records).toEqual([
      expect.objectContaining({ state: 'FINISHED', operation: 'ACTIVATE', ref: v1._doc, message: `activated ${v1._doc}` }),
    ]);
    expect([await live('a.txt'), await live('b.txt')]).toEqual(['one', 'one']);
    // The release it replaced is kept: the way back is another ACTIVATE.
    expect((await activate(v3._doc)).state).toBe('SUCCESS');
    expect(await live('a.txt')).toBe('three');
  });

  it('answers ERROR with receiver:release_not_kept for a release it does not hold, and changes nothing', async () => {
    const plain = await deploy('plain', { retain: false, app: { name: 'plain', version: '1.0.0' } });
    const other = await deploy('other', { app: { name: 'other', version: '1.0.0' } });
    await deploy('one');
    for (const [app, id] of [
      ['plain', plain._doc], // never deployed with retain
      ['shop', other._doc], // another app's release
      ['shop', 'dep-never-seen'],
    ]) {
      const status = await activate(id, app);
      expect(status.state).toBe('ERROR');
      expect(status.records[0]).toMatchObject({ state: 'ERROR', operation: 'ACTIVATE' });
      expect(status.records[0].message).toMatch(/^receiver:release_not_kept: release \S+ of app \S+ is not kept/);
      expect(status.message).toMatch(/^receiver:release_not_kept:/);
    }
    expect([await live('a.txt', 'plain'), await live('a.txt', 'other'), await live('a.txt')]).toEqual(['plain', 'other', 'one']);
  });

  it('refuses an ACTIVATE without `activates` or with an archive part (400, nothing recorded)', async () => {
    const post = async (pkg: object, archive?: Buffer) => {
      const form = new FormData();
      form.append('package', JSON.stringify(pkg));
      if (archive) form.append('archive-1', new Blob([archive]), 'a.tar.gz');
      const res = await fetch(`${receiver.url}/push`, { method: 'POST', body: form });
      return { status: res.status, body: (await res.json()) as { error: string; message: string } };
    };
    const v1 = await deploy('one');
    const missing = await post({ ...activation(v1._doc), activates: undefined });
    expect(missing).toMatchObject({ status: 400, body: { error: 'receiver:invalid_package' } });
    expect(missing.body.message).toContain('package.activates is required for ACTIVATE');
    const withArchive = activation(v1._doc);
    const archived = await post(withArchive, await githubTarball());
    expect(archived).toMatchObject({ status: 400, body: { error: 'receiver:unexpected_archive' } });
    expect((await fetch(`${receiver.url}/status/${withArchive._doc}`)).status).toBe(404);
  });

  it('keeps the last RECEIVER_RELEASES_KEPT releases: older ones are removed after a switch, never the live one', async () => {
    await receiver.close();
    await start(2);
    const [v1, v2] = [await deploy('one'), await deploy('two')];
    expect((await activate(v1._doc)).state).toBe('SUCCESS'); // v1 is now the most recently live
    const v3 = await deploy('three'); // keeps v3 and v1; v2 goes
    const kept = (id: string) => existsSync(join(dirs.deployDir, '.releases', 'shop', id));
    expect([kept(v1._doc), kept(v2._doc), kept(v3._doc)]).toEqual([true, false, true]);
    expect((await activate(v2._doc)).records[0].message).toMatch(/^receiver:release_not_kept/);
    expect(await live('a.txt')).toBe('three');
    await deploy('four'); // v4 and v3 kept; v1 goes
    expect(kept(v1._doc)).toBe(false);
    expect((await activate(v3._doc)).state).toBe('SUCCESS');
    expect(await live('b.txt')).toBe('three');
  });

  it('a reader of the app sees one release or the other while it is switched back and forth, never a mix', async () => {
    const [v1, v2] = [await deploy('one'), await deploy('two')];
    // The reader is another process: it resolves the app's path once per read (as a server started in it, or `realpath`) and reads both files.
    const stop = join(dirs.root, 'stop');
    const script = `
      const fs = require('node:fs'); const path = require('node:path');
      const app = ${JSON.stringify(join(dirs.deployDir, 'shop'))}, stop = ${JSON.stringify(stop)};
      const seen = { reads: 0, one: 0, two: 0, mixed: [], errors: [] };
      while (!fs.existsSync(stop)) {
        try {
          const dir = fs.realpathSync(app);
          const a = fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), b = fs.readFileSync(path.join(dir, 'b.txt'), 'utf8');
          seen.reads++;
          if (a !== b) seen.mixed.push(a + '/' + b); else seen[a]++;
        } catch (err) { seen.errors.push(String(err.code || err)); }
      }
      process.stdout.write(JSON.stringify(seen));`;
    const reader = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const ended = new Promise<void>((resolve) => reader.on('close', () => resolve()));

    for (let i = 0; i < 30; i++) expect((await activate(i % 2 ? v2._doc : v1._doc)).state).toBe('SUCCESS');
    await writeFile(stop, '');
    await ended;
    const seen = JSON.parse(out) as { reads: number; one: number; two: number; mixed: string[]; errors: string[] };
    expect({ mixed: seen.mixed.slice(0, 5), errors: seen.errors.slice(0, 5) }).toEqual({ mixed: [], errors: [] });
    expect(seen.one).toBeGreaterThan(0);
    expect(seen.two).toBeGreaterThan(0);
  });

  it("hands the hooks the ACTIVATE package, its env included, as for a DEPLOY, with the kept release's directory", async () => {
    const v1 = await deploy('one');
    await deploy('two');
    await receiver.close();
    const seen: Array<{ hook: string; operation: string; env: Record<string, string>; dir?: string; live?: string }> = [];
    receiver = await startReceiver({
      deployDir: dirs.deployDir,
      stateDir: dirs.stateDir,
      hooks: {
        before: async (pkg) => void seen.push({ hook: 'before', operation: pkg.operation, env: pkg.env }),
        execute: async (pkg, _record, dir) => void seen.push({ hook: 'execute', operation: pkg.operation, env: pkg.env, dir }),
        after: async (pkg) => void seen.push({ hook: 'after', operation: pkg.operation, env: pkg.env, live: await live('a.txt') }),
      },
    });
    const pkg = { ...activation(v1._doc), env: { NODE_ENV: 'production', FEATURE: 'on' } };
    await client.push(receiver.target, pkg, []);
    expect((await waitForFinal(client, receiver.target, pkg._doc)).state).toBe('SUCCESS');
    const env = { NODE_ENV: 'production', FEATURE: 'on' };
    expect(seen).toEqual([
      { hook: 'before', operation: 'ACTIVATE', env },
      { hook: 'execute', operation: 'ACTIVATE', env, dir: join(dirs.deployDir, '.releases', 'shop', v1._doc) },
      { hook: 'after', operation: 'ACTIVATE', env, live: 'one' },
    ]);
  });

  it('keeps the releases usable across a restart of the receiver', async () => {
    const [v1] = [await deploy('one'), await deploy('two')];
    await receiver.close();
    await start();
    expect((await activate(v1._doc)).state).toBe('SUCCESS');
    expect([await live('a.txt'), await live('b.txt')]).toEqual(['one', 'one']);
  });

  it('does not drop kept releases when its record of them is lost: those on disk count as the oldest', async () => {
    const [v1] = [await deploy('one'), await deploy('two')];
    await receiver.close();
    await rm(join(dirs.stateDir, 'releases'), { recursive: true, force: true });
    await start();
    await deploy('three');
    expect((await activate(v1._doc)).state).toBe('SUCCESS');
    expect(await live('a.txt')).toBe('one');
  });
});

describe('retain', () => {
  it('turns an app directory from before into its first kept release, which ACTIVATE can bring back', async () => {
    const v0 = await deploy('zero', { retain: false });
    expect(lstatSync(join(dirs.deployDir, 'shop')).isDirectory()).toBe(true);
    // What an older receiver kept inside the app directory on a deployment with retain.
    await mkdir(join(dirs.deployDir, 'shop', '.releases', 'dep-older'), { recursive: true });
    for (const file of ['a.txt', 'b.txt']) await writeFile(join(dirs.deployDir, 'shop', '.releases', 'dep-older', file), 'older');
    await deploy('one');
    expect(await live('a.txt')).toBe('one');
    expect(existsSync(join(dirs.deployDir, 'shop', '.releases'))).toBe(false);
    expect((await activate(v0._doc)).state).toBe('SUCCESS');
    expect([await live('a.txt'), await live('b.txt')]).toEqual(['zero', 'zero']);
    expect((await activate('dep-older')).state).toBe('SUCCESS');
    expect([await live('a.txt'), await live('b.txt')]).toEqual(['older', 'older']);
  });

  it('UNDEPLOY without retain removes the link and every kept release', async () => {
    await deploy('one');
    await deploy('two');
    const undeploy = deploymentPackage({ operation: 'UNDEPLOY', records: [] });
    await client.push(receiver.target, undeploy, []);
    expect((await waitForFinal(client, receiver.target, undeploy._doc)).state).toBe('SUCCESS');
    expect(existsSync(join(dirs.deployDir, 'shop'))).toBe(false);
    expect(lstatSync(join(dirs.deployDir, 'shop'), { throwIfNoEntry: false })).toBeUndefined();
    expect(existsSync(join(dirs.deployDir, '.releases', 'shop'))).toBe(false);
  });
});
