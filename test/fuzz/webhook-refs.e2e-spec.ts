import { Harness } from '../support/harness';
import { githubHeaders, githubPush } from '../support/payloads';

/** Over HTTP: a push naming a path-like repository or branch is refused before anything is stored or started. */
describe('webhook repository names and refs over HTTP', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
  });
  afterAll(() => harness.stop());

  const deliver = (payload: object) => harness.request('POST', '/1/deploy', { headers: githubHeaders(), body: payload });

  it('answers 400 deploy:provider:not_supported for .. in a repository name or an invalid branch, storing nothing', async () => {
    const base = githubPush({ sha: 'c'.repeat(40) });
    for (const payload of [
      { ...base, repository: { ...base.repository, name: '..', full_name: 'octo-org/..' } },
      { ...base, repository: { ...base.repository, full_name: '../../x' } },
      { ...base, ref: 'refs/heads/../../x' },
      { ...base, ref: 'refs/heads/main..lock' },
    ]) {
      const answer = await deliver(payload);
      expect([answer.status, answer.json]).toEqual([
        400,
        {
          error: 'deploy:provider:not_supported',
          message: expect.stringMatching(/^This is not a GitHub or Travis payload we handle: /),
          uuid: answer.headers.get('x-api-uuid'),
        },
      ]);
    }
    expect(await harness.db.collection('payloads').countDocuments()).toBe(0);
    expect(await harness.db.collection('deployments').countDocuments()).toBe(0);

    const otherBranch = await deliver({ ...base, ref: 'refs/heads/feature/x.y' });
    expect([otherBranch.status, otherBranch.json.status]).toEqual([200, 'ignored']);
  });
});
