import { ADMIN } from '../support/harness';
import { PipelineFixture } from '../pipeline/pipeline-fixture';
import { Cli, ERROR_LINE } from './run-cli';

/** deployctl releases, rollback (followed live to its end), redeploy and unlock: the built CLI against the pipeline. */
describe('deployctl: releases, rollback, redeploy, unlock', () => {
  let f: PipelineFixture;
  let cli: Cli;
  const app = 'cli-releases';
  const shas: string[] = [];
  beforeAll(async () => {
    [f, cli] = await Promise.all([PipelineFixture.start(), Cli.create()]);
    const login = await cli.run(['login', '--url', f.harness.baseUrl, '--user', ADMIN.username, '--password-stdin'], {
      input: ADMIN.password,
    });
    expect(login.code).toBe(0);
    await f.configure(app);
    for (const label of ['one', 'two']) {
      const c = await f.labelledCommit(app, label, shas.at(-1));
      const pushed = await f.push(app, c.sha, { before: shas.at(-1) });
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      shas.push(c.sha);
    }
  });
  afterAll(async () => {
    f.hooks.execute = undefined;
    await Promise.all([f?.stop(), cli?.cleanup()]);
  });

  it('releases lists newest first with the live one marked', async () => {
    const listed = await cli.run(['releases', app]);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/RELEASE\s+CAUSE\s+COMMIT/);
    expect(lines[1]).toMatch(new RegExp(`^\\*\\s+v2\\s+push\\s+${shas[1].slice(0, 7)}\\s`));
    expect(lines[2]).toMatch(new RegExp(`^\\s+v1\\s+push\\s+${shas[0].slice(0, 7)}\\s`));
  });

  it('rollback follows the new deployment to its end, a line per step, then the app is locked until unlock', async () => {
    const rolled = await cli.run(['rollback', app]);
    expect(rolled.code).toBe(0);
    const out = rolled.stdout.trim().split('\n');
    expect(out[0]).toMatch(new RegExp(`^Rolling ${app} back to v1 as deployment dep_[0-9a-f]+`));
    const steps = out.slice(1, -1).map((line) => /^\S+ \S+\s+(\w+)\s+(ok|pending|error)\b/.exec(line)?.slice(1, 3).join(' '));
    expect(steps).toEqual(expect.arrayContaining(['received ok', 'fetch ok', 'upload pending', 'upload ok', 'done ok']));
    expect(steps.at(-1)).toBe('done ok');
    expect(out.at(-1)).toMatch(/succeeded: it is the app's live release now/);
    expect(await f.liveLabel(app)).toBe('// one\n');
    const [v3] = await cli.json(['releases', app]);
    expect(v3).toMatchObject({ version: 3, rolledBackTo: 1, live: true, cause: 'rollback' });
    expect((await cli.run(['releases', app])).stdout).toMatch(/^\*\s+v3\s+rollback to v1\s/m);

    expect((await cli.json(['apps', 'get', app])).locked).toMatchObject({ release: 1 });
    const unlocked = await cli.run(['unlock', app]);
    expect(unlocked).toMatchObject({ code: 0, stdout: `${app} is unlocked: pushes deploy again.\n` });
    expect((await cli.json(['apps', 'get', app])).locked).toBeUndefined();
  });

  it('redeploy follows to the end; a deployment that fails exits 1 with its error code', async () => {
    const redeployed = await cli.run(['redeploy', app]);
    expect(redeployed.code).toBe(0);
    expect(redeployed.stdout).toMatch(/done\s+ok/);

    f.hooks.execute = async (pkg) => {
      if (pkg.app.name === app) throw new Error('the app would not start');
    };
    const failed = await cli.run(['rollback', app, 'v2']);
    f.hooks.execute = undefined;
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/done\s+error/);
    expect(failed.stderr).toMatch(/^deploy:receiver:start_app: Deployment dep_[0-9a-f]+ did not succeed/m);
    expect((await cli.json(['releases', app]))[0]).toMatchObject({ version: 4, cause: 'redeploy', live: true });
  });

  it('names what is wrong: an unknown release, a bad release argument', async () => {
    const unknown = await cli.run(['rollback', app, 'v99']);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(ERROR_LINE('apps:release:not_found')) });
    const bad = await cli.run(['rollback', app, 'vx']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"vx" is not a release like v3/);
  });
});
