import 'reflect-metadata';
import { Harness } from '../support/harness';
import { Cli, ERROR_LINE } from './run-cli';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const CAROL = { username: 'carol', password: 'carol-password-1' };

/** deployctl collaborators add, ls, rm (docs/contract.md#collaborators): the built CLI against the gateway. */
describe('deployctl: collaborators', () => {
  let harness: Harness;
  let alice: Cli;
  let carol: Cli;
  beforeAll(async () => {
    [harness, alice, carol] = await Promise.all([Harness.start({ worker: false }), Cli.create(), Cli.create()]);
    for (const user of [ALICE, CAROL]) expect((await harness.request('POST', '/1/users', { body: user })).status).toBe(201);
    expect((await harness.request('PUT', '/1/apps/alice/web', { auth: ALICE, body: { repository: 'octo-org/web' } })).status).toBe(200);
    for (const [cli, user] of [
      [alice, ALICE],
      [carol, CAROL],
    ] as const) {
      const login = await cli.run(['login', '--url', harness.baseUrl, '--user', user.username, '--password-stdin'], {
        input: user.password,
      });
      expect(login.code).toBe(0);
    }
  });
  afterAll(async () => {
    await Promise.all([harness?.stop(), alice?.cleanup(), carol?.cleanup()]);
  });

  it('adds, lists and removes a collaborator; the collaborator reaches the app as <owner>/<app>', async () => {
    expect(await alice.run(['collaborators', 'add', 'web', 'carol', '--role', 'viewer'])).toMatchObject({
      code: 0,
      stdout: 'carol is viewer of web.\n',
    });
    const listed = await carol.run(['collaborators', 'ls', 'alice/web']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^USER\s+ROLE\s+BY\s+SINCE/);
    expect(lines[1]).toMatch(/^alice\s+admin \(owner\)/);
    expect(lines[2]).toMatch(/^carol\s+viewer\s+alice\s+\d{4}-/);
    expect(await alice.json(['collaborators', 'ls', 'web'])).toMatchObject({
      owner: 'alice',
      collaborators: [{ user: 'carol', role: 'viewer' }],
    });

    const refused = await carol.run(['collaborators', 'add', 'alice/web', 'carol', '--role', 'admin']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(ERROR_LINE('auth:forbidden'));

    expect(await alice.run(['collaborators', 'rm', 'web', 'carol'])).toMatchObject({
      code: 0,
      stdout: 'carol is no longer a collaborator of web.\n',
    });
    const gone = await carol.run(['collaborators', 'ls', 'alice/web']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(ERROR_LINE('apps:not_found'));
  });

  it('checks the role and the app before asking the gateway', async () => {
    expect(await alice.run(['collaborators', 'add', 'web', 'carol', '--role', 'owner'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--role owner is not one of viewer, deployer, approver, admin/),
    });
    expect(await alice.run(['collaborators', 'add', 'web', 'carol'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--role is required/),
    });
    expect(await alice.run(['collaborators', 'ls', 'a/b/c'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/neither <app> nor <owner>\/<app>/),
    });
  });
});
