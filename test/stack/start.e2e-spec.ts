import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from '../../tools/stack';

/** `npm start`'s launcher (built by `npm test`'s pretest): fails fast on bad settings, stops cleanly. */
describe('npm start', () => {
  const cli = join(repoRoot, 'dist', 'tools', 'stack', 'cli.js');
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'stack-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    let output = '';
    const child = spawn(process.execPath, [cli], {
      env: { ...process.env, STACK_STATE_DIR: stateDir, MONGO_URL: '', TEMPORAL_ADDRESS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  }

  it('stops at start-up with a message naming a malformed setting', async () => {
    const started = run({ GATEWAY_PORT: 'eighty' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('Invalid setting GATEWAY_PORT');
  });

  /** Entries under `dir` (symbolic links aside) that a group or other user may read, write or enter, with their modes. */
  function openToOthers(dir: string): string[] {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((entry) => ({ entry, stat: lstatSync(join(dir, entry)) }))
      .filter(({ stat }) => !stat.isSymbolicLink() && (stat.mode & 0o077) !== 0)
      .map(({ entry, stat }) => `${entry} ${(stat.mode & 0o777).toString(8)}`);
  }

  it('brings up every process, deploys a push from the GitHub stand-in as the README shows, and leaves no process behind when stopped', async () => {
    // As an earlier run left it (docs/reliability.md#tenant-isolation-review): the directory and a log open to everyone.
    chmodSync(stateDir, 0o755);
    mkdirSync(join(stateDir, 'logs'), { recursive: true, mode: 0o755 });
    writeFileSync(join(stateDir, 'logs', 'gateway.log'), 'an earlier run\n', { mode: 0o644 });
    chmodSync(join(stateDir, 'logs', 'gateway.log'), 0o644);
    const ports = {
      GATEWAY_PORT: await freePort(),
      RECEIVER_PORT: await freePort(),
      TEMPORAL_PORT: await freePort(),
      TEMPORAL_UI_PORT: await freePort(),
      GITHUB_STANDIN_PORT: await freePort(),
    };
    const started = run({
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      GITHUB_STANDIN: '1',
      GITHUB_API_URL: '',
    });
    const deadline = Date.now() + 90_000;
    while (!started.output().includes('deploy-webhooks is up')) {
      if (Date.now() > deadline || started.child.exitCode !== null) throw new Error(`start failed:\n${started.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(started.output()).toContain(`Web UI: http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
    const health = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/health`);
    expect(await health.json()).toEqual({ status: 'ok', checks: { mongo: 'ok', temporal: 'ok' } });
    const ui = await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`);
    expect(ui.status).toBe(200);
    expect(started.output()).toContain(`github       http://127.0.0.1:${ports.GITHUB_STANDIN_PORT}`);

    // The README's walk-through: a user, a token, an app on the stand-in's demo repository
    // deploying to the reference receiver (the default target), then `npm run standin:push`.
    const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`;
    const call = async (method: string, path: string, credentials: string, body?: unknown) => {
      const response = await fetch(`${gateway}${path}`, {
        method,
        headers: {
          authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, json: (await response.json()) as Record<string, any> };
    };
    const admin = `admin:${readFileSync(join(stateDir, 'admin-password'), 'utf8').trim()}`;
    expect((await call('POST', '/1/users', admin, { username: 'alice', password: 'correct-horse-battery' })).status).toBe(201);
    const token = (await call('POST', '/1/users/alice/tokens', 'alice:correct-horse-battery', { name: 'laptop' })).json.token as string;
    expect((await call('PUT', '/1/apps/alice/hello', `alice:${token}`, { repository: 'demo/hello', branch: 'main' })).status).toBe(200);
    const pushed = execFileSync(
      process.execPath,
      [join(repoRoot, 'dist', 'tools', 'github-standin', 'standin-push.js'), `alice:${token}`, 'demo/hello'],
      {
        env: { ...process.env, STACK_STATE_DIR: stateDir },
      },
    ).toString();
    expect(pushed).toMatch(/answered 202/);
    const { id } = JSON.parse(pushed.split('\n')[1]) as { id: string };
    let deployment: { state?: { state: string; step: string } } = {};
    for (const until = Date.now() + 60_000; deployment.state?.state !== 'succeeded' && Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 500));
      deployment = (await call('GET', `/1/deployments/${id}`, `alice:${token}`)).json;
      if (deployment.state?.state === 'failed') break;
    }
    expect(deployment.state).toMatchObject({ state: 'succeeded', step: 'done' });
    expect(existsSync(join(stateDir, 'receiver', 'deployed', 'hello', 'index.js'))).toBe(true);
    // The worker deployed with the receiver credentials npm start generated; nobody else may (security review finding 2: docs/reliability.md#security-findings-issue-18-targets-and-outbound-calls).
    expect(readFileSync(join(stateDir, 'receiver-password'), 'utf8').trim()).toMatch(/^[\w-]{24}$/);
    expect((await fetch(`http://127.0.0.1:${ports.RECEIVER_PORT}/status/${id}`)).status).toBe(401);
    const undeploy = await fetch(`http://127.0.0.1:${ports.RECEIVER_PORT}/push`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--\r\n',
    });
    expect(undeploy.status).toBe(401);
    expect(started.output()).toContain(`password in ${join(stateDir, 'receiver-password')}`);

    // Only the receiver's port is allowed on loopback: no user's target or notification reaches
    // the machine's other ports (docs/reliability.md#tenant-isolation-review).
    const alice = `alice:${token}`;
    for (const port of [ports.GATEWAY_PORT, ports.TEMPORAL_UI_PORT, ports.GITHUB_STANDIN_PORT]) {
      const probe = await call('PUT', '/1/apps/alice/probe', alice, {
        repository: 'demo/hello',
        target: { url: `http://127.0.0.1:${port}/` },
      });
      expect([port, probe.status, probe.json]).toMatchObject([
        port,
        400,
        { error: 'apps:bad_target', message: expect.stringContaining(`127.0.0.1:${port} for this port only`) },
      ]);
      const notify = await call('POST', '/1/apps/alice/hello/notifications', alice, {
        url: `http://127.0.0.1:${port}/`,
        events: ['deployment.succeeded'],
      });
      expect([port, notify.status, notify.json]).toMatchObject([port, 400, { error: 'notifications:bad_url' }]);
    }
    const atReceiver = await call('POST', '/1/apps/alice/hello/notifications', alice, {
      url: `http://127.0.0.1:${ports.RECEIVER_PORT}/hook`,
      events: ['deployment.succeeded'],
    });
    expect(atReceiver.status).toBe(201);

    // The state directory is its owner's only, and so is everything the stack and its processes wrote there.
    for (const file of [
      'admin-password',
      'encryption-key',
      'github-standin.json',
      'mongo.h2',
      'temporal.db',
      'logs/gateway.log',
      'logs/worker.log',
    ])
      expect([file, existsSync(join(stateDir, file))]).toEqual([file, true]);
    expect(
      readdirSync(join(stateDir, 'blobs')).length + readdirSync(join(stateDir, 'receiver', 'state'), { recursive: true }).length,
    ).toBeGreaterThan(0);
    expect({ stateDir: (statSync(stateDir).mode & 0o777).toString(8), openToOthers: openToOthers(stateDir) }).toEqual({
      stateDir: '700',
      openToOthers: [],
    });

    const children = execFileSync('pgrep', ['-P', String(started.child.pid)])
      .toString()
      .trim()
      .split('\n');
    expect(children.length).toBeGreaterThanOrEqual(5); // temporal, mongo-wire, worker, receiver, gateway
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    for (const pid of children) expect(() => process.kill(Number(pid), 0)).toThrow();
    expect(started.output()).not.toContain('exited with'); // a clean stop reports no process as failed
    expect(started.output()).toContain('deploy-webhooks stopped.');
    expect(existsSync(join(stateDir, 'github-standin.json'))).toBe(false);
  }, 180_000);
});
