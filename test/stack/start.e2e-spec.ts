import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from '../../libs/stack';

/** `npm start`'s launcher (built by `npm test`'s pretest): fails fast on bad settings, stops cleanly. */
describe('npm start', () => {
  const cli = join(repoRoot, 'dist', 'libs', 'stack', 'cli.js');
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'stack-'));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    let output = '';
    const child = spawn(process.execPath, [cli], { env: { ...process.env, STACK_STATE_DIR: stateDir, MONGO_URL: '', TEMPORAL_ADDRESS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  }

  it('stops at start-up with a message naming a malformed setting', async () => {
    const started = run({ GATEWAY_PORT: 'eighty' });
    expect(await started.exited).toBe(1);
    expect(started.output()).toContain('Invalid setting GATEWAY_PORT');
  });

  it('brings up every process, serves /health, and leaves no process behind when stopped', async () => {
    const ports = { GATEWAY_PORT: await freePort(), RECEIVER_PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort() };
    const started = run(Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])));
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

    const children = execFileSync('pgrep', ['-P', String(started.child.pid)]).toString().trim().split('\n');
    expect(children.length).toBeGreaterThanOrEqual(5); // temporal, mongo-wire, worker, receiver, gateway
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    for (const pid of children) expect(() => process.kill(Number(pid), 0)).toThrow();
  }, 120_000);
});
