import { hashSecret } from '../../libs/auth';
import { Harness } from '../support/harness';

// The module object passwords.ts calls scrypt through: a spy on it counts the real hashes (it calls through).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object itself, which jest.spyOn can patch
const nodeCrypto = require('node:crypto') as typeof import('node:crypto');

const ALICE = { username: 'alice', password: 'alice-password-1' };
const BOB = { username: 'bob', password: 'bob-password-1' };

/** Security review findings 9 and 11 (usernames; docs/reliability.md#security-findings-issue-18-authentication-and-webhooks): API tokens and usernames against the real stack. */
describe('credentials: API token form and cost, usernames whatever their case', () => {
  let harness: Harness;
  let aliceToken: { id: string; token: string };
  let bobToken: { id: string; token: string };

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
    for (const user of [ALICE, BOB]) expect((await harness.request('POST', '/1/users', { body: user })).status).toBe(201);
    aliceToken = (await harness.request('POST', '/1/users/alice/tokens', { auth: ALICE, body: { name: 'ci' } })).json;
    bobToken = (await harness.request('POST', '/1/users/bob/tokens', { auth: BOB, body: { name: 'ci' } })).json;
  });
  afterAll(() => harness.stop());

  const signIn = (username: string, password: string) =>
    harness.request('GET', `/1/users/${username}/tokens`, { auth: { username, password } });

  it('takes dwt_<id>.<secret> exactly: anything after the secret makes it invalid', async () => {
    expect((await signIn('alice', aliceToken.token)).status).toBe(200);
    for (const suffix of ['.anything', '.', `.${aliceToken.token.split('.')[1]}`, 'x']) {
      const answer = await signIn('alice', `${aliceToken.token}${suffix}`);
      expect([suffix, answer.status, answer.json.error]).toEqual([suffix, 401, 'mw:auth:unauthorized']);
    }
  });

  it("spends the same number of scrypt hashes on a token whatever its id: known, unknown, another user's, or an unknown user", async () => {
    const scrypt = jest.spyOn(nodeCrypto, 'scrypt');
    try {
      const wrongSecret = 'W'.repeat(32);
      const statuses: number[] = [];
      const hashesFor = async (username: string, password: string) => {
        scrypt.mockClear();
        statuses.push((await signIn(username, password)).status);
        return scrypt.mock.calls.length;
      };
      const costs = {
        knownId: await hashesFor('alice', `dwt_${aliceToken.id}.${wrongSecret}`),
        unknownId: await hashesFor('alice', `dwt_0123456789abcdef.${wrongSecret}`),
        otherUsersId: await hashesFor('alice', `dwt_${bobToken.id}.${wrongSecret}`),
        otherUsersToken: await hashesFor('alice', bobToken.token),
        unknownUser: await hashesFor('nobody', aliceToken.token),
        malformed: await hashesFor('alice', `${aliceToken.token}.anything`),
      };
      // The token check (one hash, against a dummy when the id is not alice's live token), then
      // the same secret as a password (one hash): the same work whatever exists.
      expect(costs).toEqual({ knownId: 2, unknownId: 2, otherUsersId: 2, otherUsersToken: 2, unknownUser: 2, malformed: 2 });
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    } finally {
      scrypt.mockRestore();
    }
  });

  it('refuses a username that differs from an existing one only in case, with 409 users:exists', async () => {
    expect((await harness.request('POST', '/1/users', { body: { username: 'Carol', password: 'carol-password-1' } })).status).toBe(201);
    for (const username of ['carol', 'CAROL', 'cArOl', 'ALICE']) {
      const answer = await harness.request('POST', '/1/users', { body: { username, password: 'another-password' } });
      expect([username, answer.status, answer.json]).toEqual([
        username,
        409,
        { error: 'users:exists', message: expect.stringMatching(/case/), uuid: answer.headers.get('x-api-uuid') },
      ]);
    }
    expect(await harness.db.collection('users').countDocuments({ _id: { $regex: '^carol$', $options: 'i' } as never })).toBe(1);
    expect((await signIn('Carol', 'carol-password-1')).status).toBe(200);
  });

  it('keeps users stored before the rule working, two spellings included, and adds no third', async () => {
    const passwordHash = await hashSecret('dave-password-1');
    await harness.db.collection('users').insertMany([
      { _id: 'dave', passwordHash, admin: false, createdAt: new Date() },
      { _id: 'Dave', passwordHash, admin: false, createdAt: new Date() },
    ] as never[]);
    expect((await signIn('dave', 'dave-password-1')).status).toBe(200);
    expect((await signIn('Dave', 'dave-password-1')).status).toBe(200);
    const third = await harness.request('POST', '/1/users', { body: { username: 'DAVE', password: 'dave-password-2' } });
    expect([third.status, third.json.error]).toEqual([409, 'users:exists']);
  });

  it('creates one user when two spellings of a new name are created at once', async () => {
    const answers = await Promise.all(
      ['Erin', 'erin', 'ERIN', 'eRin'].map((username) =>
        harness.request('POST', '/1/users', { body: { username, password: 'erin-password-1' } }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409]);
    expect(await harness.db.collection('users').countDocuments({ _id: { $regex: '^erin$', $options: 'i' } as never })).toBe(1);
  });
});
