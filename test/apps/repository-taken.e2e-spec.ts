import { AppRecord, AppsRepository, AppsService, repositoryKey } from '../../libs/apps';
import { Harness } from '../support/harness';

const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-1' };

/** A push deploys the one app of its repository: a second app of the same user for it is refused. */
describe('one app per repository and user (apps:repository_taken)', () => {
  let harness: Harness;
  const put = (app: string, body: object, auth = ALICE) => harness.request('PUT', `/1/apps/${auth.username}/${app}`, { auth, body });
  const get = (app: string, auth = ALICE) => harness.request('GET', `/1/apps/${auth.username}/${app}`, { auth });

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
    for (const user of [ALICE, BOB]) expect((await harness.request('POST', '/1/users', { body: user })).status).toBe(201);
  });
  afterAll(() => harness.stop());

  it('refuses a second app for a repository, in any letter case, naming the app that has it', async () => {
    expect((await put('hello', { repository: 'alice/hello' })).status).toBe(200);
    for (const repository of ['alice/hello', 'Alice/HELLO']) {
      const answer = await put('hello2', { repository, webhookSecret: 'never-checked' });
      expect([answer.status, answer.json]).toEqual([409, {
        error: 'apps:repository_taken',
        message: "alice's app hello already deploys alice/hello (GitHub repository names ignore case); change hello's repository or delete it first.",
        uuid: answer.headers.get('x-api-uuid'),
      }]);
    }
    expect((await get('hello2')).status).toBe(404);
    // The push lookup ignores case too.
    expect((await harness.gateway!.get(AppsService).forRepository('alice', 'ALICE/Hello'))?.record.name).toBe('hello');
  });

  it('lets the app itself be PUT again, another user use the repository, and another app take it once it is free', async () => {
    expect((await put('hello', { repository: 'Alice/Hello', branch: 'main' })).json).toMatchObject({ repository: 'Alice/Hello', branch: 'main' });
    expect((await put('hello', { repository: 'alice/hello', env: { A: '1' } })).status).toBe(200);
    expect((await harness.request('PATCH', '/1/apps/alice/hello/env', { auth: ALICE, body: { set: { B: '2' } } })).status).toBe(200);
    expect((await put('hello', { repository: 'alice/hello' }, BOB)).status).toBe(200);

    expect((await put('hello', { repository: 'alice/moved' })).status).toBe(200);
    expect((await put('hello2', { repository: 'alice/hello' })).status).toBe(200);
    expect((await put('hello', { repository: 'alice/hello' })).json.error).toBe('apps:repository_taken'); // nor back while hello2 has it
  });

  it('gives a repository to exactly one of concurrent PUTs of different apps', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => put(`race${i}`, { repository: 'alice/contested' })));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, ...Array(7).fill(409)]);
    const winner = answers.find((answer) => answer.status === 200)!.json.name as string;
    for (const answer of answers.filter((a) => a.status === 409)) {
      expect(answer.json).toMatchObject({ error: 'apps:repository_taken', message: expect.stringContaining(`app ${winner} already deploys alice/contested`) });
    }
    expect(await harness.db.collection('apps').countDocuments({ user: 'alice', repository: 'alice/contested' })).toBe(1);

    // Concurrent changes of existing apps to one repository: the same.
    for (let i = 0; i < 4; i++) expect((await put(`move${i}`, { repository: `alice/move${i}` })).status).toBe(200);
    const moves = await Promise.all(Array.from({ length: 4 }, (_, i) => put(`move${i}`, { repository: `ALICE/target` })));
    expect(moves.map((answer) => answer.status).sort()).toEqual([200, 409, 409, 409]);
    expect(await harness.db.collection('apps').countDocuments({ user: 'alice', repositoryKey: 'alice/alice/target' })).toBe(1);
  });

  it('has a unique index that refuses a second app for a repository by itself', async () => {
    const repository = harness.gateway!.get(AppsRepository);
    const record = (name: string): AppRecord => ({
      _id: `alice/${name}`, user: 'alice', name, repository: 'alice/indexed', repositoryKey: repositoryKey('alice', 'alice/INDEXED'),
      retain: false, ci: 'auto', createdAt: new Date(), updatedAt: new Date(), revision: 1,
    });
    expect(await repository.save(record('indexed1'), null)).toBe(true);
    expect(await repository.save(record('indexed2'), null)).toBe(false); // inserted
    const hello2 = (await repository.find('alice', 'hello2'))!;
    expect(await repository.save({ ...hello2, repositoryKey: record('x').repositoryKey }, hello2.revision!)).toBe(false); // updated
    expect(await repository.save({ ...hello2, branch: 'b' }, hello2.revision!)).toBe(true); // the same app, at its revision
    expect((await get('hello2')).json.repository).toBe('alice/hello');
  });

  it('sees apps stored before the repositoryKey, and gives them one on their next PUT', async () => {
    const now = new Date();
    await harness.db.collection('apps').insertMany([
      { _id: 'alice/old', user: 'alice', name: 'old', repository: 'Octo/Old', retain: false, ci: 'auto', createdAt: now, updatedAt: now },
      { _id: 'alice/old2', user: 'alice', name: 'old2', repository: 'octo/old2', retain: false, ci: 'auto', createdAt: now, updatedAt: now },
    ] as never[]);
    const taken = await put('new', { repository: 'octo/old' });
    expect([taken.status, taken.json.message]).toEqual([409, expect.stringMatching(/^alice's app old already deploys Octo\/Old/)]);
    expect((await harness.gateway!.get(AppsService).forRepository('alice', 'octo/OLD'))?.record.name).toBe('old');

    expect((await put('old', { repository: 'octo/old' })).status).toBe(200);
    expect((await harness.db.collection('apps').findOne({ _id: 'alice/old' as never }))?.repositoryKey).toBe('alice/octo/old');
    expect((await put('old2', { repository: 'OCTO/OLD' })).json.error).toBe('apps:repository_taken');
  });

  it('documents the code in the PUT endpoint’s 409 answer', async () => {
    const doc = (await harness.request('GET', '/docs/json', { auth: null })).json;
    expect(doc.paths['/1/apps/{user}/{app}'].put.responses['409'].description).toBe('Error codes: `apps:conflict`, `apps:repository_taken`.');
  });
});
