import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from '../../tools/stack';

/**
 * The reference receiver as a process (security review finding 2: docs/reliability.md#security-findings-issue-18-targets-and-outbound-calls): anyone who reaches it could deploy,
 * UNDEPLOY any app by name or read statuses, so beyond loopback it starts only with credentials.
 */
describe('reference receiver process', () => {
  const main = join(repoRoot, 'dist', 'apps', 'receiver', 'main.js');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'receiver-process-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function start(env: Record<string, string>) {
    let output = '';
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        RECEIVER_DEPLOY_DIR: join(dir, 'deploy'),
        RECEIVER_STATE_DIR: join(dir, 'state'),
        RECEIVER_USERNAME: '',
        RECEIVER_PASSWORD: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    return { child, output: () => output, exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) };
  }

  it.each(['0.0.0.0', '::'])('refuses to listen on %s without credentials, naming the settings', async (host) => {
    const started = start({ RECEIVER_HOST: host, RECEIVER_PORT: String(await freePort()) });
    // A receiver that starts anyway is found by its log line, and stopped.
    const outcome = await Promise.race([
      started.exited,
      new Promise<string>((resolve) =>
        started.child.stdout.on('data', () => /listening on/.test(started.output()) && resolve('listening')),
      ),
    ]);
    if (outcome === 'listening') started.child.kill('SIGTERM');
    expect([outcome, started.output()]).toEqual([
      1,
      expect.stringMatching(/Invalid setting RECEIVER_HOST: .*without credentials; set RECEIVER_USERNAME and RECEIVER_PASSWORD/),
    ]);
  });

  it('listens beyond loopback with credentials, and answers 401 to a push without them', async () => {
    const port = await freePort();
    const started = start({
      RECEIVER_HOST: '0.0.0.0',
      RECEIVER_PORT: String(port),
      RECEIVER_USERNAME: 'deployer',
      RECEIVER_PASSWORD: 'receiver-secret',
    });
    try {
      while (!/listening on/.test(started.output())) {
        if (started.child.exitCode !== null) throw new Error(`receiver exited:\n${started.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const push = await fetch(`http://127.0.0.1:${port}/push`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
        body: '--x--\r\n',
      });
      expect(push.status).toBe(401);
      expect(await push.json()).toMatchObject({ error: 'receiver:unauthorized' });
      expect((await fetch(`http://127.0.0.1:${port}/status/anything`)).status).toBe(401);
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
    }
  });
});
