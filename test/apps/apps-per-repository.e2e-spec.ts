import { AppsRepository, AppsService } from '../../libs/apps';
import { Harness } from '../support/harness';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-1' };

/**
 * Several apps of a user may deploy one repository (docs/contract.md#several-apps-per-repository; it was one app per
 * repository, `apps:repository_taken`, before): each is found by every spelling of the
 * repository, the first configured first, and only the user's own.
 */
describe('several apps per repository and user', () => {
  let harness: Harness;
  const put = (app: string, body: object, auth = ALICE) => harness.request('PUT', `/1/apps/${auth.username}/${app}`, { auth, body });
  const names = async (user: string, repository: string) =>
    (await harness.gateway!.get(AppsService).allForRepository(user, repository)).map((app) => app.record.name);

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
    for (const user of [ALICE, BOB]) expect((await harness.request('POST', '/1/users', { body: user })).status).toBe(201);
  });
  afterAll(() => harness.stop());

  // First, while no two apps share a key: the old unique index can still be built.
  it('replaces the unique repositoryKey index of earlier versions by a plain one at start-up', async () => {
    const apps = harness.db.collection('apps');
    await apps.dropIndex('repositoryKey_1');
    await apps.createIndex({ repositoryKey: 1 }, { unique: true, sparse: true });
    await harness.gateway!.get(AppsRepository).ensureIndexes();
    const index = (await apps.indexes()).find((i) => i.name === 'repositoryKey_1');
    expect(index).toMatchObject({ key: { repositoryKey: 1 } });
    expect(index?.unique).toBeFalsy();
  });

  it('takes a second and third app of a repository in any spelling, and finds them all, the first configured first', async () => {
    expect((await put('hello', { repository: 'alice/hello' })).status).toBe(200);
    expect((await put('hello-staging', { repository: 'Alice/HELLO', branch: 'main' })).status).toBe(200);
    expect((await put('hello-prod', { repository: 'alice/hello.git', deployOn: { tags: 'v*' } })).json).toMatchObject({
      deployOn: { tags: 'v*' },
    });
    expect((await put('hello', { repository: 'alice/hello' }, BOB)).status).toBe(200);
    expect(await names('alice', 'ALICE/Hello')).toEqual(['hello', 'hello-staging', 'hello-prod']);
    expect(await names('bob', 'alice/hello')).toEqual(['hello']);
    expect((await harness.gateway!.get(AppsService).forRepository('alice', 'alice/hello'))?.record.name).toBe('hello');
  });

  it('finds apps stored before the repositoryKey too', async () => {
    const now = new Date();
    await harness.db.collection('apps').insertOne({
      _id: 'alice/old',
      user: 'alice',
      name: 'old',
      repository: 'Octo/Old',
      retain: false,
      ci: 'auto',
      createdAt: now,
      updatedAt: now,
    } as never);
    expect((await put('new', { repository: 'octo/old' })).status).toBe(200);
    expect(await names('alice', 'octo/OLD')).toEqual(['old', 'new']);
  });

  it('refuses a trigger that says two things', async () => {
    for (const body of [
      { deployOn: { branch: 'main', tags: 'v*' } },
      { deployOn: {} },
      { branch: 'main', deployOn: { tags: 'v*' } },
      { paths: ['/abs/**'] },
    ]) {
      const answer = await put('bad-trigger', { repository: 'alice/x', ...body });
      expect([JSON.stringify(body), answer.status, answer.json.error]).toEqual([JSON.stringify(body), 400, 'apps:bad_trigger']);
    }
  });
});
