import { PipelineFixture } from '../pipeline/pipeline-fixture';
import { githubHeaders, githubPush } from '../support/payloads';
import { Cli } from './run-cli';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const CAROL = { username: 'carol', password: 'carol-password-1' };

/** A collaborator's deployctl on an app shared with them, named `<owner>/<app>` (docs/guides.md#sharing-an-app-with-your-team). */
describe('deployctl: a shared app as <owner>/<app>', () => {
  let f: PipelineFixture;
  let carol: Cli;
  const shas: string[] = [];
  beforeAll(async () => {
    [f, carol] = await Promise.all([PipelineFixture.start(), Cli.create()]);
    for (const user of [ALICE, CAROL]) expect((await f.harness.request('POST', '/1/users', { body: user })).status).toBe(201);
    expect((await f.harness.request('PUT', '/1/apps/alice/hello', { auth: ALICE, body: { repository: 'octo-org/hello' } })).status).toBe(
      200,
    );
    const shared = await f.harness.request('PUT', '/1/apps/alice/hello/collaborators/carol', { auth: ALICE, body: { role: 'deployer' } });
    expect(shared.status).toBe(200);
    for (const label of ['one', 'two']) {
      const { sha } = await f.labelledCommit('hello', label, shas.at(-1));
      const pushed = await f.harness.request('POST', '/1/deploy', {
        auth: ALICE,
        headers: githubHeaders('push'),
        body: githubPush({ repo: 'hello', sha, before: shas.at(-1) }),
      });
      expect(pushed.status).toBe(202);
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      shas.push(sha);
    }
    const login = await carol.run(['login', '--url', f.harness.baseUrl, '--user', CAROL.username, '--password-stdin'], {
      input: CAROL.password,
    });
    expect(login.code).toBe(0);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([f?.stop(), carol?.cleanup()]);
  });

  it('carol, a deployer on alice/hello, rolls it back with deployctl rollback alice/hello and unlocks it', async () => {
    const rolled = await carol.run(['rollback', 'alice/hello']);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(/^Rolling alice\/hello back to v1 as deployment dep_[0-9a-f]+/);
    expect(rolled.stdout).toMatch(/succeeded: it is the app's live release now/);
    const [v3] = await carol.json(['releases', 'alice/hello']);
    expect(v3).toMatchObject({ version: 3, rolledBackTo: 1, live: true, cause: 'rollback', commit: shas[0] });
    const log: Array<{ user: string; app_name: string }> = await carol.json(['deploys', 'list', 'alice/hello']);
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((entry) => entry.user === 'alice' && entry.app_name === 'hello')).toBe(true);
    expect(await carol.run(['unlock', 'alice/hello'])).toMatchObject({ code: 0, stdout: 'hello is unlocked: pushes deploy again.\n' });
    expect((await carol.json(['apps', 'get', 'alice/hello'])).locked).toBeUndefined();
  }, 120_000);
});
