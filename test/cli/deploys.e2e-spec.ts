import { ADMIN } from '../support/harness';
import { PipelineFixture } from '../pipeline/pipeline-fixture';
import { Cli, ERROR_LINE } from './run-cli';

const FIRST_STEPS = ['received', 'resolve', 'resolve', 'fetch', 'fetch', 'inspect', 'inspect', 'upload', 'upload', 'processing'];

describe('deployctl: deployments and the live feed (built CLI against the pipeline)', () => {
  let f: PipelineFixture;
  let cli: Cli;
  let deployment: { id: string; workflowId: string; repo: string; sha: string };
  beforeAll(async () => {
    [f, cli] = await Promise.all([PipelineFixture.start(), Cli.create()]);
    const login = await cli.run(['login', '--url', f.harness.baseUrl, '--user', ADMIN.username, '--password-stdin'], {
      input: ADMIN.password,
    });
    expect(login.code).toBe(0);
  });
  afterAll(async () => {
    await Promise.all([f?.stop(), cli?.cleanup()]);
  });

  it('watch follows a new deployment step by step and resumes across reconnects without gaps or repeats', async () => {
    const { repo, sha } = await f.commit();
    // The gateway closes each connection after 150 ms, so the deployment spans several of them.
    const watching = cli.start(['watch', repo, '--since', '0', '--once', String(FIRST_STEPS.length), '--json', '--feed-timeout', '150']);
    const pushed = await f.push(repo, sha);
    expect(pushed.status).toBe(202);
    deployment = { id: pushed.json.id, workflowId: pushed.json.workflowId, repo, sha };

    const result = await watching.done;
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.doc.step)).toEqual(FIRST_STEPS);
    expect(new Set(lines.map((line) => line.id)).size).toBe(FIRST_STEPS.length);
    expect(lines.every((line) => line.doc.deployment === deployment.id && line.app_name === repo)).toBe(true);
    expect(result.stderr).toMatch(/feed reached its time limit; resuming after \d{15}[_~]/);
    expect(await f.outcome(deployment.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('watch prints one coloured line per step on request, and plain text otherwise', async () => {
    const args = ['watch', deployment.repo, '--since', '0', '--once', '2'];
    const [plain, coloured] = await Promise.all([cli.run(args), cli.run(args, { env: { FORCE_COLOR: '1' } })]);
    expect(plain.stdout).toMatch(new RegExp(`^\\S+ \\S+  ${deployment.repo}  ${deployment.id}  received +ok +Payload stored`));
    expect(plain.stdout.split('\n')[1]).toMatch(/ resolve +pending /);
    expect(plain.stdout).not.toContain('\x1b[');
    expect(coloured.stdout).toMatch(/\x1b\[32mreceived +ok *\x1b\[0m.*\n.*\x1b\[33mresolve +pending *\x1b\[0m/);
    expect(coloured.stdout.split('\n')).toHaveLength(3);
  });

  it('watch stops on Ctrl-C with exit 130', async () => {
    const watching = cli.start(['watch', deployment.repo, '--since', '0']);
    await new Promise((resolve) => watching.child.stdout!.once('data', resolve)); // connected and printing
    watching.child.kill('SIGINT');
    expect(await watching.done).toMatchObject({ code: 130, stderr: '' });
  });

  it('deploys list and show report the finished deployment', async () => {
    // Independent reads, run side by side to keep the test short.
    const [list, entries, show, shown, unknown, notRetryable] = await Promise.all([
      cli.run(['deploys', 'list', deployment.repo]),
      cli.json(['deploys', 'list']),
      cli.run(['deploys', 'show', deployment.id]),
      cli.json(['deploys', 'show', deployment.id]),
      cli.run(['deploys', 'show', 'dep_nope']),
      cli.run(['deploys', 'retry', deployment.id]),
    ]);
    expect(list.stdout).toMatch(
      new RegExp(`^${deployment.id}\\s+${deployment.repo}\\s+${deployment.repo}@${deployment.sha.slice(0, 7)}\\s+done\\s+ok`, 'm'),
    );
    expect(entries.filter((entry: { deployment: string }) => entry.deployment === deployment.id).at(0)).toMatchObject({
      step: 'done',
      status: 'ok',
    });
    expect(show.stdout).toMatch(/State\s+succeeded at step done/);
    expect(show.stdout).toMatch(/\s+done\s+ok/);
    expect(shown).toMatchObject({ id: deployment.id, state: { step: 'done', state: 'succeeded' } });
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(ERROR_LINE('deployments:not_found')) });
    expect(notRetryable).toMatchObject({ code: 1, stderr: expect.stringMatching(ERROR_LINE('deployments:not_retryable')) });
  });

  it('cancels a deployment waiting for CI, then retries it', async () => {
    const { repo, sha } = await f.commit({ travis: true });
    const pushed = await f.push(repo, sha);
    await waitFor(async () => (await f.steps(pushed.json.id)).some((step) => step.step === 'waiting_for_ci'));
    expect(await cli.run(['deploys', 'cancel', pushed.json.id])).toMatchObject({
      code: 0,
      stdout: `Cancel requested for deployment ${pushed.json.id}.\n`,
    });
    expect(await f.outcome(pushed.json.workflowId)).toMatchObject({ state: 'canceled' });

    const retry = await cli.json(['deploys', 'retry', pushed.json.id]);
    expect(retry).toMatchObject({ status: 'queued', retryOf: pushed.json.id });
    expect(retry.id).not.toBe(pushed.json.id);
    expect((await cli.run(['deploys', 'cancel', retry.id])).code).toBe(0); // leave nothing waiting an hour for Travis
  });

  it('github auth stores a verified token and reports GitHub refusing one', async () => {
    f.github.tokens.set('ghp_cli_token', 'octocat');
    const onArgv = await cli.run(['github', 'auth', '--credentials', 'octocat:ghp_cli_token', '--app', 'web']);
    expect(onArgv).toMatchObject({ code: 2, stderr: expect.stringMatching(/--credentials-stdin or set \$DEPLOYCTL_GITHUB_CREDENTIALS/) });
    expect(f.github.requests.filter((r) => r.token === 'ghp_cli_token')).toEqual([]); // refused before GitHub was asked
    const ok = await cli.run(['github', 'auth', '--credentials-stdin', '--app', 'web'], { input: 'octocat:ghp_cli_token\n' });
    expect(ok).toMatchObject({ code: 0, stdout: 'GitHub user octocat authorized for app web.\n' });
    const refused = await cli.run(['github', 'auth'], { env: { DEPLOYCTL_GITHUB_CREDENTIALS: 'octocat:ghp_wrong' } });
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(ERROR_LINE('auth:github:github_pairing_failed')) });
  });
});

async function waitFor(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
