import { randomBytes } from 'node:crypto';
import { seededRandom } from '../support/faulty-receiver';
import { ADMIN } from '../support/harness';
import { githubHeaders } from '../support/payloads';
import { ChaosStack } from './chaos-stack';

const PREVIEWS = Number(process.env.CHAOS_PREVIEWS ?? 4);

interface PreviewRecord {
  _id: string;
  name: string;
  state: string;
  teardown?: { deploymentId: string };
}

/**
 * docs/contract.md#preview-apps: the worker killed with SIGKILL while previews are torn down
 * (before the UNDEPLOY is claimed, while it is asked, while the receiver runs it), then restarted.
 * Each preview ends removed, with exactly one UNDEPLOY recorded and run once by the receiver.
 */
describe('worker killed during preview teardowns', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ processingDelayMs: 1_000, processEnv: () => ({ PREVIEWS_RECONCILE_INTERVAL: '1h' }) }), 120_000);
  afterAll(() => stack.stop());

  const auth = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.gatewayUrl()}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  };
  const deliver = (payload: object) => call('POST', '/1/deploy', payload, githubHeaders('pull_request'));
  const previews = () => stack.db.db('chaos').collection<PreviewRecord>('previews');
  const until = async (check: () => Promise<boolean>, timeoutMs = 120_000) => {
    for (const deadline = Date.now() + timeoutMs; !(await check());) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it(`tears each of ${PREVIEWS} previews down with exactly one UNDEPLOY`, async () => {
    const random = seededRandom(12);
    const repos: string[] = [];
    for (let i = 0; i < PREVIEWS; i++) {
      const repo = `preview-crash-${i}-${randomBytes(2).toString('hex')}`;
      expect((await call('PUT', `/1/apps/admin/${repo}`, { repository: `octo-org/${repo}`, previews: { enabled: true } })).status).toBe(
        200,
      );
      expect((await deliver(await stack.github.openPullRequest(`octo-org/${repo}`))).status).toBe(202);
      repos.push(repo);
    }
    await until(async () => (await previews().countDocuments({ state: 'live' })) === PREVIEWS);

    let kills = 0;
    for (const repo of repos) {
      expect((await deliver(stack.github.closePullRequest(`octo-org/${repo}`, 1))).status).toBe(202);
      // Killed at a random moment of the teardown: before the UNDEPLOY is claimed, or after.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 2_500)));
      stack.killWorker();
      kills++;
      await new Promise((r) => setTimeout(r, 500));
      stack.restartWorker();
    }
    await until(async () => (await previews().countDocuments({ state: 'removed' })) === PREVIEWS, 300_000);
    console.log(`worker killed ${kills} times during ${PREVIEWS} teardowns`);

    const deployments = stack.db.db('chaos').collection<{ _id: string; app?: string; workflowId: string }>('deployments');
    for (const record of await previews().find().toArray()) {
      const undeploys = await deployments.find({ app: record.name, workflowId: { $regex: '^undeploy/' } }).toArray();
      expect([record.name, undeploys.map((u) => u._id)]).toEqual([record.name, [record.teardown?.deploymentId]]);
      expect([record.name, stack.processed.get(record.teardown!.deploymentId)]).toEqual([record.name, 1]);
      expect((await call('GET', `/1/apps/admin/${record.name}`)).status).toBe(404);
    }
  });
});
