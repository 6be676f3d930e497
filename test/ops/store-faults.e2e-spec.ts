import { BSON, MongoClient } from 'mongodb';
import { generateKeyPairSync } from 'node:crypto';
import { createConnection } from 'node:net';
import { deflateSync } from 'node:zlib';
import { GithubServer } from '../../tools/github-standin/github-standin';
import { MongoFaultProxy, OP_MSG, OP_QUERY } from '../support/mongo-fault-proxy';
import { ADMIN, Harness } from '../support/harness';

/**
 * The store failures the API answers after authentication (docs/reliability.md#every-error-code-asserted): the gateway reaches MongoDB through a fault proxy that fails one collection's
 * commands while authentication's reads pass. Each answer carries the spec's code and a sentence,
 * and nothing is half-written: the records read directly (not through the proxy) are unchanged.
 */
const APP_ID = 4242;
const INSTALLATION = 77;

describe('MongoDB failing after authentication', () => {
  let proxy: MongoFaultProxy;
  let github: GithubServer;
  let harness: Harness;

  beforeAll(async () => {
    proxy = await MongoFaultProxy.start(process.env.TEST_MONGO_URL!);
    github = await new GithubServer().start();
    github.tokens.set('ghp_first', 'admin-gh');
    github.tokens.set('ghp_second', 'admin-gh');
    // The service as a GitHub App, for installation links: admin-gh administers octo-org, which installed it.
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    github.ci.app = { id: APP_ID, slug: 'deploy-webhooks', publicKey: keys.publicKey };
    github.ci.installations.set(INSTALLATION, { id: INSTALLATION, account: { login: 'octo-org', type: 'Organization' }, repositories: [] });
    github.ci.orgAdmins.set('octo-org', new Set(['admin-gh']));
    harness = await Harness.start({
      worker: false,
      mongoUrl: proxy.url,
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_APP_ID: String(APP_ID),
        GITHUB_APP_PRIVATE_KEY: keys.privateKey,
        GITHUB_APP_WEBHOOK_SECRET: 'app-webhook-secret',
      },
    });
  });
  afterAll(async () => {
    await harness?.stop();
    await github?.stop();
    await proxy?.stop();
  });

  const APP = { repository: 'octo-org/hello', branch: 'main', target: { url: 'http://127.0.0.1:9/push' } };

  /** The answer is the spec's error: the code, a sentence for a human, the request's uuid. */
  function expectError(answer: { status: number; json: any }, status: number, code: string) {
    expect([answer.status, answer.json?.error]).toEqual([status, code]);
    expect(answer.json.message).toMatch(/^[A-Z].{10,}\.$/);
    expect(answer.json.uuid).toEqual(expect.any(String));
  }

  it('passes requests that match no rule on untouched (the gateway’s traffic goes through it)', async () => {
    const fault = proxy.fail({ collection: 'no_such_collection' });
    const before = proxy.seen.length;
    const put = await harness.request('PUT', `/1/apps/${ADMIN.username}/plain`, { body: APP });
    expect([put.status, put.json?.repository]).toEqual([200, 'octo-org/hello']);
    const got = await harness.request('GET', `/1/apps/${ADMIN.username}/plain`);
    expect([got.status, got.json?.branch]).toEqual([200, 'main']);
    const traffic = proxy.seen.slice(before);
    expect(traffic).toContainEqual(expect.objectContaining({ command: 'find', collection: 'apps', failed: false }));
    expect(traffic.filter((c) => c.failed)).toEqual([]);
    fault.remove();
    expect(fault.hits).toBe(0);
    // What the driver sends (checked, not assumed): its handshake as a legacy OP_QUERY, every command after it as OP_MSG.
    const notOpMsg = proxy.seen.filter((c) => c.opCode !== OP_MSG);
    expect(notOpMsg.length).toBeGreaterThan(0);
    expect(notOpMsg.filter((c) => !(c.opCode === OP_QUERY && /^(ismaster|hello)$/i.test(c.command)))).toEqual([]);

    // Every BSON type the stack stores round-trips unchanged through a client on the proxy.
    const client = await MongoClient.connect(proxy.url);
    try {
      const document = {
        _id: 'round-trip',
        text: 'ünïcødé',
        when: new Date(1_700_000_000_000),
        bytes: Buffer.from([0, 1, 254, 255]),
        nested: { list: [1, 2.5, null, true] },
        big: 'x'.repeat(100_000),
      };
      const collection = client.db(harness.config.mongo.database).collection<any>('proxy_round_trip');
      await collection.insertOne(document);
      const read = await collection.findOne({ _id: 'round-trip' });
      expect({ ...read, bytes: Buffer.from(read.bytes.buffer) }).toEqual(document);
    } finally {
      await client.close();
    }
  });

  it('reads the command past document sequences (kind 1), a checksum and zlib compression', async () => {
    const body = BSON.serialize({ insert: 'apps', ordered: true, $db: 'wire_probe' });
    const documents = BSON.serialize({ _id: 'never-stored' });
    const identifier = Buffer.from('documents\0');
    const sequence = Buffer.concat([Buffer.from([1]), int32(4 + identifier.length + documents.length), identifier, documents]);
    const sections = Buffer.concat([int32(1), Buffer.from([0]), body, sequence, int32(0)]); // flagBits: checksumPresent; then a (unchecked) checksum
    const compressed = deflateSync(sections);
    const message = Buffer.concat([
      int32(16 + 9 + compressed.length),
      int32(4242),
      int32(0),
      int32(2012),
      int32(OP_MSG),
      int32(sections.length),
      Buffer.from([2]),
      compressed,
    ]);

    const fault = proxy.fail({ database: 'wire_probe', collection: 'apps', commands: ['insert'] });
    const socket = createConnection({ host: '127.0.0.1', port: Number(new URL(proxy.url).port) });
    try {
      const answer = await new Promise<Buffer>((resolve, reject) => {
        let received = Buffer.alloc(0);
        socket
          .on('error', reject)
          .on('close', () => reject(new Error('the connection closed without an answer')))
          .on('data', (chunk) => {
            received = Buffer.concat([received, chunk]);
            if (received.length >= 4 && received.length >= received.readInt32LE(0)) resolve(received);
          });
        socket.write(message);
      });
      expect([answer.readInt32LE(8), answer.readInt32LE(12), answer.readUInt8(20)]).toEqual([4242, OP_MSG, 0]); // responseTo, opCode, section kind
      expect(BSON.deserialize(answer.subarray(21))).toEqual(expect.objectContaining({ ok: 0, code: 1, codeName: 'InternalError' }));
      expect(fault.hits).toBe(1);
    } finally {
      fault.remove();
      socket.destroy();
    }
  });

  it('apps:db:failed (503) when the app store fails a PUT, and the app is unchanged', async () => {
    await harness.request('PUT', `/1/apps/${ADMIN.username}/blog`, { body: APP });
    const before = await harness.db.collection('apps').findOne({ _id: `${ADMIN.username}/blog` as never });
    const { result: changed, hits } = await proxy.failing({ collection: 'apps', commands: ['update', 'insert', 'findAndModify'] }, () =>
      harness.request('PUT', `/1/apps/${ADMIN.username}/blog`, { body: { ...APP, branch: 'release' } }),
    );
    expectError(changed, 503, 'apps:db:failed');
    expect(hits).toBeGreaterThan(0);
    expect(await harness.db.collection('apps').findOne({ _id: `${ADMIN.username}/blog` as never })).toEqual(before);

    const { result: created } = await proxy.failing({ collection: 'apps', commands: ['update', 'insert', 'findAndModify'] }, () =>
      harness.request('PUT', `/1/apps/${ADMIN.username}/never-stored`, { body: APP }),
    );
    expectError(created, 503, 'apps:db:failed');
    expect(await harness.db.collection('apps').countDocuments({ _id: `${ADMIN.username}/never-stored` as never })).toBe(0);
    // Lifted: the same request succeeds.
    const again = await harness.request('PUT', `/1/apps/${ADMIN.username}/blog`, { body: { ...APP, branch: 'release' } });
    expect([again.status, again.json?.branch]).toEqual([200, 'release']);
  });

  it('deployments:db:failed (503) when the deployment store fails a retry, and no run is recorded', async () => {
    const failed = {
      _id: 'dep_faulted_first',
      workflowId: 'push/faulted',
      user: ADMIN.username,
      repository: 'octo-org/hello',
      commit: 'octo-org/hello/abc123',
      branch: 'main',
      app: 'blog',
      payloadId: 'payload-1',
      provider: 'github',
      uuid: 'u-1',
      createdAt: new Date(),
      state: 'failed',
      step: 'deploy',
    };
    await harness.db.collection('deployments').insertOne(failed as never);
    const { result: retry, hits } = await proxy.failing({ collection: 'deployments', commands: ['insert'] }, () =>
      harness.request('POST', '/1/deployments/dep_faulted_first/retry'),
    );
    expectError(retry, 503, 'deployments:db:failed');
    expect(hits).toBe(1);
    expect(await harness.db.collection('deployments').find().toArray()).toEqual([failed]);

    const { result: read } = await proxy.failing({ collection: 'deployments', commands: ['find'] }, () =>
      harness.request('GET', '/1/deployments/dep_faulted_first'),
    );
    expectError(read, 503, 'deployments:db:failed');
  });

  it('notifications:db:failed (503) when the notification store fails, and no subscription is stored', async () => {
    await harness.request('PUT', `/1/apps/${ADMIN.username}/site`, { body: APP });
    const subscription = { url: 'http://127.0.0.1:9/hook', events: ['deployment.succeeded'] };
    const { result: added, hits } = await proxy.failing({ collection: 'notifications', commands: ['insert'] }, () =>
      harness.request('POST', `/1/apps/${ADMIN.username}/site/notifications`, { body: subscription }),
    );
    expectError(added, 503, 'notifications:db:failed');
    expect(hits).toBe(1);
    expect(await harness.db.collection('notifications').countDocuments()).toBe(0);
    const listed = await harness.request('GET', `/1/apps/${ADMIN.username}/site/notifications`);
    expect([listed.status, listed.json]).toEqual([200, []]);
  });

  it('status:db:get_by_id (500) when the status log fails a lookup by id, and the entry is still there after', async () => {
    const entry = {
      _id: 'dep_status:1',
      uuid: 'u-2',
      user: ADMIN.username,
      app_name: 'blog',
      deployment: 'dep_status',
      status: 'running',
      step: 'received',
      provider: 'github',
      commit: 'octo-org/hello/abc123',
      ts: new Date(),
      cursor: '0000000001',
    };
    await harness.db.collection('status_entries').insertOne(entry as never);
    const { result: lookup, hits } = await proxy.failing({ collection: 'status_entries', commands: ['find'] }, () =>
      harness.request('GET', `/1/status/${ADMIN.username}/changes/dep_status:1`),
    );
    expectError(lookup, 500, 'status:db:get_by_id');
    expect(hits).toBe(1);
    const lifted = await harness.request('GET', `/1/status/${ADMIN.username}/changes/dep_status:1`);
    expect(lifted.status).toBe(200);
    expect(lifted.text).toContain('dep_status:1');
  });

  it('auth:github:update_user_failed (500) when GitHub verified the token but storing it fails, and the stored token is unchanged', async () => {
    const first = await harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_first' } });
    expect([first.status, first.json?.github]).toEqual([200, 'admin-gh']);
    const before = await harness.db.collection('github_tokens').find().toArray();
    const { result: second, hits } = await proxy.failing(
      { collection: 'github_tokens', commands: ['update', 'insert', 'findAndModify'] },
      () => harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_second' } }),
    );
    expectError(second, 500, 'auth:github:update_user_failed');
    expect(hits).toBe(1);
    expect(await harness.db.collection('github_tokens').find().toArray()).toEqual(before);
  });

  it('auth:github:update_user_failed (500) when the installation is verified as yours but storing its link fails, and nothing is linked', async () => {
    const stored = await harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_first' } });
    expect(stored.status).toBe(200);
    const { result: failed, hits } = await proxy.failing({ collection: 'github_installations', commands: ['update', 'insert'] }, () =>
      harness.request('POST', '/1/auth/github/installations', { body: { installationId: INSTALLATION } }),
    );
    expectError(failed, 500, 'auth:github:update_user_failed');
    expect(failed.json.message).toContain('installation could not be linked');
    expect(hits).toBe(1);
    expect(await harness.db.collection('github_installations').countDocuments()).toBe(0);

    const linked = await harness.request('POST', '/1/auth/github/installations', { body: { installationId: INSTALLATION } });
    expect([linked.status, linked.json?.installationId]).toEqual([200, INSTALLATION]);
    expect(await harness.db.collection('github_installations').countDocuments()).toBe(1);
  });
});

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  return buffer;
}
