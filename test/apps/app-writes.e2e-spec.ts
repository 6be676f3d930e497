import { Harness } from '../support/harness';

const BOB = { username: 'bob', password: 'bob-password-1' };
const KIB = 1024;

/** `count` variables VAR_0… with values of `size` characters. */
const envOf = (count: number, size = 1, prefix = 'VAR') =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}_${i}`, 'v'.repeat(size)]));

/** What an app write may hold and how concurrent writes meet: env bounds, compare-and-set, target URLs. */
describe('app writes: env bounds, concurrent changes, target URLs', () => {
  let harness: Harness;
  const put = (app: string, body: object) => harness.request('PUT', `/1/apps/bob/${app}`, { auth: BOB, body });
  const patch = (app: string, body: object) => harness.request('PATCH', `/1/apps/bob/${app}/env`, { auth: BOB, body });

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
    expect((await harness.request('POST', '/1/users', { body: BOB })).status).toBe(201);
  });
  afterAll(() => harness.stop());

  describe('environment variables are bounded: 1000, 32 KiB each, 256 KiB in all', () => {
    it('takes an env at the limits and refuses one over each, naming the limit', async () => {
      expect((await put('full', { repository: 'octo/full', env: envOf(1000) })).json.envKeys).toHaveLength(1000);
      const cases: Array<[object, RegExp]> = [
        [envOf(1001), /at most 1000 environment variables; this would make 1001/],
        [{ BIG: 'v'.repeat(32 * KIB + 1) }, /BIG is 33 KiB; a value is at most 32 KiB/],
        [envOf(9, 32 * KIB), /total at most 256 KiB; this would make 289 KiB/],
        [{ 'not-a-name': 'x' }, /needs a name like MY_VAR/],
      ];
      for (const [env, message] of cases) {
        const answer = await put('over', { repository: 'octo/over', env });
        expect([answer.status, answer.json]).toEqual([
          400,
          { error: 'apps:bad_env', message: expect.stringMatching(message), uuid: answer.headers.get('x-api-uuid') },
        ]);
      }
      expect((await harness.request('GET', '/1/apps/bob/over', { auth: BOB })).status).toBe(404);
    });

    it('checks the variables a PATCH leaves, merged with the stored ones', async () => {
      const more = await patch('full', { set: { ONE_MORE: 'x' } });
      expect([more.status, more.json.error, more.json.message]).toEqual([
        400,
        'apps:bad_env',
        expect.stringMatching(/at most 1000 .* would make 1001/),
      ]);
      expect((await patch('full', { set: { ONE_MORE: 'x' }, unset: ['VAR_0'] })).status).toBe(200);

      expect((await put('big', { repository: 'octo/big', env: envOf(7, 32 * KIB, 'A') })).status).toBe(200);
      const total = await patch('big', { set: envOf(1, 32 * KIB, 'B') });
      expect([total.status, total.json.error, total.json.message]).toEqual([
        400,
        'apps:bad_env',
        expect.stringMatching(/total at most 256 KiB/),
      ]);
      expect((await harness.request('GET', '/1/apps/bob/big', { auth: BOB })).json.envKeys).toHaveLength(7);
    });

    // No timing asserted (the machines are shared and noisy): before the bound, each of these held
    // the gateway's only thread for 20-90 s, past this test's own limit below.
    it('refuses a huge env before parsing it, while /health keeps answering', async () => {
      const health = async () => (await harness.request('GET', '/health', { auth: null })).status;
      // 200 000 variables (3 MB, under the body limit) held the gateway's only thread for 20 s before the bound.
      const huge: Array<[() => ReturnType<typeof put>, string]> = [
        [() => put('huge', { repository: 'octo/huge', env: envOf(200_000, 5) }), 'apps:bad_env'],
        [() => patch('full', { set: envOf(300_000, 1) }), 'apps:bad_env'],
        [() => put('junk', { repository: 'octo/junk', junk: envOf(200_000, 1) }), 'request:invalid'], // any wide body, not only env
      ];
      for (const [send, code] of huge) {
        const answer = send();
        const healthAnswers: number[] = [];
        for (let i = 0; i < 3; i++) {
          healthAnswers.push(await health());
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const { status, json } = await answer;
        expect([status, json.error]).toEqual([400, code]);
        expect(healthAnswers).toEqual([200, 200, 200]);
      }
    }, 30_000);
  });

  describe('writes are compare-and-set on the app’s revision', () => {
    it('keeps every key of 30 concurrent PATCHes', async () => {
      expect((await put('race', { repository: 'octo/race' })).status).toBe(200);
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => patch('race', { set: { [`KEY_${i}`]: String(i) } })));
      expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
      const view = await harness.request('GET', '/1/apps/bob/race', { auth: BOB });
      expect([...view.json.envKeys].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `KEY_${i}`).sort());
      expect((await harness.db.collection('apps').findOne({ _id: 'bob/race' as never }))?.revision).toBe(31);
    });

    it('keeps a PATCH racing PUTs of the same app, and updates an app stored before revisions', async () => {
      expect((await put('mixed', { repository: 'octo/mixed', env: { FIRST: '1' } })).status).toBe(200);
      const writes = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => put('mixed', { repository: 'octo/mixed', branch: `b${i}` })), // PUT without env keeps it
        ...Array.from({ length: 5 }, (_, i) => patch('mixed', { set: { [`K${i}`]: 'x' } })),
      ]);
      expect(writes.map((answer) => answer.status)).toEqual(Array(10).fill(200));
      expect([...(await harness.request('GET', '/1/apps/bob/mixed', { auth: BOB })).json.envKeys].sort()).toEqual([
        'FIRST',
        'K0',
        'K1',
        'K2',
        'K3',
        'K4',
      ]);

      await harness.db.collection('apps').updateOne({ _id: 'bob/mixed' as never }, { $unset: { revision: '' } });
      expect((await patch('mixed', { set: { LATER: 'y' } })).status).toBe(200);
      expect((await harness.db.collection('apps').findOne({ _id: 'bob/mixed' as never }))?.revision).toBe(1);
    });
  });

  describe('target URLs', () => {
    it('refuses credentials inside target.url or target.statusUrl, pointing to target.username/password', async () => {
      for (const target of [
        { url: 'http://user:pass@deploy.example.com/push' },
        { url: 'https://token@deploy.example.com/push' },
        { url: 'https://deploy.example.com/push', statusUrl: 'https://user:pass@deploy.example.com/status/{{id}}' },
      ]) {
        const answer = await put('creds', { repository: 'octo/creds', target });
        expect([answer.status, answer.json.error]).toEqual([400, 'apps:bad_target']);
        expect(answer.json.message).toMatch(
          /^target\.(url|statusUrl) must not contain a user or password; set target\.username and target\.password instead/,
        );
      }
      expect((await harness.request('GET', '/1/apps/bob/creds', { auth: BOB })).status).toBe(404);
      const ok = await put('creds', {
        repository: 'octo/creds',
        target: {
          url: 'https://deploy.example.com/push',
          statusUrl: 'https://deploy.example.com/status/{{id}}',
          username: 'user',
          password: 'pass',
        },
      });
      expect(ok.json.target).toEqual({
        url: 'https://deploy.example.com/push',
        statusUrl: 'https://deploy.example.com/status/{{id}}',
        username: 'user',
        hasPassword: true,
        archiveFormat: 'tar.gz',
      });
    });

    it('names the field once in validation messages', async () => {
      const answer = await put('ftp', {
        repository: 'octo/ftp',
        target: { url: 'ftp://deploy.example.com/push', statusUrl: 'file:///etc' },
      });
      expect([answer.status, answer.json.error]).toEqual([400, 'request:invalid']);
      expect(answer.json.message).toContain('target.url must be an http(s) URL');
      expect(answer.json.message).toContain('target.statusUrl must be an http(s) URL');
      expect(answer.json.message).not.toContain('target.target');
    });

    it('does not show credentials an app stored before the check holds in its URL', async () => {
      await harness.db
        .collection('apps')
        .updateOne({ _id: 'bob/creds' as never }, { $set: { 'target.url': 'https://user:secret@deploy.example.com/push' } });
      const view = await harness.request('GET', '/1/apps/bob/creds', { auth: BOB });
      expect(view.json.target.url).toBe('https://deploy.example.com/push');
      expect(view.text).not.toContain('secret');
    });
  });
});
