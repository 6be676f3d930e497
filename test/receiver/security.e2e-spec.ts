import { LoggerService } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildTarGz, buildZip, githubTarball, githubTopDir, linkChainEscape, storedZip } from '../support/archives';
import { DeploymentTarget, TargetClient } from '../../libs/targets';
import { createReceiverApp, ReceiverOptions } from '../../apps/receiver';
import { archiveOf, deploymentPackage, rawStatus, RunningReceiver, startReceiver, tempDirs, waitForFinal } from './helpers';

/**
 * The security review's receiver findings (docs/reliability.md#security-findings-issue-18-receiver-and-archives) on the real reference receiver: symlink chains (finding 3), exhaustion (4), log
 * injection (10), error answers with a uuid and without server paths, zip `../` (11).
 */
const client = new TargetClient({ timeoutMs: 10_000, outbound: { allow: ['127.0.0.1'] } }); // a loopback receiver
let dirs: Awaited<ReturnType<typeof tempDirs>>;
let receiver: RunningReceiver;

async function restart(options: Partial<ReceiverOptions> = {}): Promise<void> {
  await receiver?.close();
  receiver = await startReceiver({ deployDir: dirs.deployDir, stateDir: dirs.stateDir, ...options });
}

beforeEach(async () => {
  dirs = await tempDirs();
  await restart();
});
afterEach(async () => {
  await receiver.close();
  await dirs.cleanup();
});

/** Pushes one archive as it is (no repacking) and waits for the package to be final. */
async function deploy(archive: Buffer, target: DeploymentTarget = receiver.target) {
  const pkg = deploymentPackage();
  await client.push(target, pkg, [archiveOf(archive)]);
  return waitForFinal(client, target, pkg._doc);
}

async function post(form: FormData): Promise<{ status: number; body: any; uuid: string | null }> {
  const res = await fetch(`${receiver.url}/push`, { method: 'POST', body: form });
  return { status: res.status, body: await res.json(), uuid: res.headers.get('x-api-uuid') };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('finding 3: a chain of symlinks does not leave the app directory', () => {
  const top = githubTopDir();
  it.each([
    ['tar.gz', 'link-first'],
    ['tar.gz', 'link-last'],
    ['zip', 'link-first'],
    ['zip', 'link-last'],
  ] as const)('a %s with the redirecting link %s is an ERROR record and nothing is deployed', async (format, order) => {
    const entries = [{ name: `${top}/index.js`, content: 'ok' }, ...linkChainEscape(top, order)];
    const archive = format === 'zip' ? await buildZip(entries) : await buildTarGz(entries);
    const status = await deploy(archive);
    const t = join(dirs.deployDir, 'shop', 't');
    expect({ state: status.state, t: existsSync(t) }).toEqual({ state: 'ERROR', t: false });
    expect(status.records[0].message).toContain('deploy:tar:unsafe_link');
  });
});

describe('finding 4: what one push can take from the receiver', () => {
  it('answers 413 for a package part over maxPackageBytes, as a field and as a file, instead of buffering it', async () => {
    await restart({ maxPackageBytes: 64 * 1024, maxArchiveBytes: 8 * 1024 * 1024, bodyLimitBytes: 16 * 1024 * 1024 });
    const big = JSON.stringify({ ...deploymentPackage(), padding: 'x'.repeat(2 * 1024 * 1024) });
    const archive = new Blob([await githubTarball()]);
    for (const asFile of [false, true]) {
      const form = new FormData();
      if (asFile) form.append('package', new Blob([big]), 'package.json');
      else form.append('package', big);
      form.append('archive-1', archive, 'a.tar.gz');
      const answer = await post(form);
      expect({ asFile, status: answer.status, error: answer.body.error }).toEqual({ asFile, status: 413, error: 'receiver:too_large' });
      expect(answer.body.message).toContain('package part exceeds 65536 bytes');
    }
  });

  it('stops a gzip bomb at the compression ratio: 8 MiB of zeros in a few KiB', async () => {
    const top = githubTopDir();
    const bomb = await buildTarGz([{ name: `${top}/zeros.bin`, content: Buffer.alloc(8 * 1024 * 1024) }]);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const status = await deploy(bomb);
    expect(status.state).toBe('ERROR');
    expect(status.records[0].message).toContain('deploy:tar:too_large');
    expect(status.records[0].message).toContain("100 times the archives'");
    expect(existsSync(join(dirs.deployDir, 'shop'))).toBe(false);
  });

  it('refuses a zip that lists one entry twice, or two names over one body', async () => {
    const top = githubTopDir();
    const body = { name: `${top}/big.bin`, content: Buffer.alloc(4096, 1) };
    const twice = storedZip(
      [body],
      [
        { name: body.name, file: 0 },
        { name: body.name, file: 0 },
      ],
    );
    const shared = storedZip(
      [body],
      [
        { name: body.name, file: 0 },
        { name: `${top}/other.bin`, file: 0 },
      ],
    );
    for (const [zip, says] of [
      [twice, 'more than once'],
      [shared, 'shares its data'],
    ] as const) {
      const status = await deploy(zip);
      expect({ state: status.state, message: status.records[0].message }).toEqual({
        state: 'ERROR',
        message: expect.stringContaining(says),
      });
      expect(status.records[0].message).toContain('deploy:tar:corrupt');
    }
  });

  it('extracts at most maxConcurrentExtractions packages at once; the others wait PENDING, saying so', async () => {
    let active = 0;
    let most = 0;
    const entered = new Set<string>();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let firstIn!: () => void;
    const firstEntered = new Promise<void>((resolve) => (firstIn = resolve));
    await restart({
      maxConcurrentExtractions: 1,
      hooks: {
        before: async (pkg) => {
          active += 1;
          most = Math.max(most, active);
          entered.add(pkg.app.name);
          if (pkg.app.name === 'first') {
            firstIn();
            await gate;
          }
        },
        after: async () => void (active -= 1),
      },
    });
    const tarball = await githubTarball();
    const first = deploymentPackage({ app: { name: 'first', version: '1' } });
    const second = deploymentPackage({ app: { name: 'second', version: '1' } });
    await client.push(receiver.target, first, [archiveOf(tarball)]);
    await firstEntered;
    await client.push(receiver.target, second, [archiveOf(tarball)]);
    // Either the second package says it waits (bounded), or it starts beside the first (unbounded).
    for (const until = Date.now() + 10_000; ;) {
      if (entered.has('second')) break;
      const status = await rawStatus(receiver.target, second._doc);
      if (status.message === 'waiting for an extraction slot') {
        expect(status.state).toBe('PENDING');
        break;
      }
      if (Date.now() > until) throw new Error(`the second package neither started nor waited: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect({ secondStartedBesideFirst: entered.has('second') }).toEqual({ secondStartedBesideFirst: false });
    open();
    expect((await waitForFinal(client, receiver.target, first._doc)).state).toBe('SUCCESS');
    expect((await waitForFinal(client, receiver.target, second._doc)).state).toBe('SUCCESS');
    expect(most).toBe(1);
  });

  it('checks free disk first: below minFreeDiskBytes a package is an ERROR and nothing is written', async () => {
    await restart({ minFreeDiskBytes: Number.MAX_SAFE_INTEGER });
    const status = await deploy(await githubTarball());
    expect(status.state).toBe('ERROR');
    expect(status.records[0].message).toContain('not enough free disk space');
    expect(existsSync(join(dirs.deployDir, 'shop'))).toBe(false);
  });
});

describe('finding 10: outside text cannot forge log lines or escape sequences', () => {
  it('escapes control characters of entry names in the log and in the status', async () => {
    const lines: string[] = [];
    const capture = (message: unknown) => void lines.push(String(message));
    const logger: LoggerService = { log: capture, warn: capture, error: capture };
    await receiver.close();
    const options: ReceiverOptions = {
      deployDir: dirs.deployDir,
      stateDir: dirs.stateDir,
      maxArchiveBytes: 1024 * 1024,
      maxEntries: 1000,
      bodyLimitBytes: 4 * 1024 * 1024,
    };
    const app = await createReceiverApp(options, logger);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    receiver = { app, url, target: { url: `${url}/push`, statusUrl: `${url}/status/{{id}}` }, options, close: () => app.close() };

    const top = githubTopDir();
    const name = `${top}/evil\n[Receiver] package x succeeded\u001b[2J\u001b[31m`;
    const status = await deploy(await buildTarGz([{ name, type: 'symlink', linkname: '../../outside' }]));
    const message = status.records[0].message;
    expect(message).toContain('deploy:tar:unsafe_link');
    expect(message).toContain('evil\\n[Receiver] package x succeeded\\u001b[2J');
    expect(CONTROL.test(message)).toBe(false);
    const logged = lines.filter((line) => line.includes(status._doc));
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect({ line, control: CONTROL.test(line) }).toEqual({ line, control: false });
  });
});

describe('finding 11: receiver errors carry a uuid, no server path; zip ../ is unsafe_path', () => {
  it('answers every error with a uuid, the same as its x-api-uuid header', async () => {
    const notFound = await fetch(`${receiver.url}/status/nothing-here`);
    const body = (await notFound.json()) as any;
    expect(body).toMatchObject({ error: 'receiver:not_found', uuid: expect.stringMatching(UUID) });
    expect(notFound.headers.get('x-api-uuid')).toBe(body.uuid);
    const bad = await post(new FormData());
    expect(bad).toMatchObject({ status: 400, body: { error: 'receiver:no_package', uuid: expect.stringMatching(UUID) } });
    expect(bad.uuid).toBe(bad.body.uuid);
    expect(bad.body.uuid).not.toBe(body.uuid);
  });

  it.each(['tar.gz', 'zip'] as const)(
    "reports a %s that cannot be extracted (a file where a directory goes) without the receiver's paths",
    async (format) => {
      const top = githubTopDir();
      const entries = [
        { name: `${top}/a`, content: 'file' },
        { name: `${top}/a/b`, content: 'under a file' },
      ];
      const status = await deploy(format === 'zip' ? await buildZip(entries) : await buildTarGz(entries));
      const message = status.records[0].message;
      expect(status.state).toBe('ERROR');
      expect(message).toContain('deploy:tar:corrupt');
      expect(message).not.toContain(dirs.root);
      expect(status.message).not.toContain(dirs.root);
    },
  );

  it('reports a zip entry named ../ as deploy:tar:unsafe_path', async () => {
    const top = githubTopDir();
    const zip = storedZip([
      { name: `${top}/index.js`, content: 'ok' },
      { name: `${top}/../../evil.txt`, content: 'x' },
    ]);
    const status = await deploy(zip);
    expect(status.records[0]).toMatchObject({ state: 'ERROR', message: expect.stringContaining('deploy:tar:unsafe_path') });
    expect(existsSync(join(dirs.root, 'evil.txt'))).toBe(false);
  });
});
