import { MongoFaultProxy } from '../support/mongo-fault-proxy';
import { PipelineFixture } from './pipeline-fixture';

/**
 * Store failures inside a step (docs/reliability.md#store-failures-inside-a-step): the worker alone
 * reaches MongoDB through a fault proxy that fails every read of the apps while the gateway takes
 * the push. The worker retries them for STORE_OUTAGE_TOLERANCE since the step was scheduled,
 * whatever the step's own attempts: past it the deployment ends with the store's code, not the
 * step's; an outage shorter than it is ridden out.
 */
describe('a store failure inside a step', () => {
  let proxy: MongoFaultProxy;
  let f: PipelineFixture;
  beforeAll(async () => {
    proxy = await MongoFaultProxy.start(process.env.TEST_MONGO_URL!);
    f = await PipelineFixture.start({ STORE_OUTAGE_TOLERANCE: '15s' }, { workerMongoUrl: proxy.url });
  });
  afterAll(async () => {
    await f?.stop();
    await proxy?.stop();
  });

  it('ends the deployment with deploy:db:unavailable, naming the store, once the tolerance has passed', async () => {
    const { repo, sha } = await f.commit();
    await f.configure(repo);
    const fault = proxy.fail({ collection: 'apps', commands: ['find', 'aggregate'] });
    const pushed = await f.push(repo, sha);
    const started = Date.now();
    try {
      expect(pushed.status).toBe(202);
      const outcome = await f.outcome(pushed.json.workflowId);
      expect(outcome).toMatchObject({
        state: 'failed',
        error: { code: 'deploy:db:unavailable', message: expect.stringMatching(/The deployment store \(MongoDB\) failed during \w+/) },
      });
      expect(fault.hits).toBeGreaterThan(1); // retried before it gave up
      expect(Date.now() - started).toBeGreaterThan(15_000); // not before the tolerance
    } finally {
      fault.remove();
    }
    // The record and the status log say it too, once the store answers again.
    const record = (await f.harness.request('GET', `/1/deployments/${pushed.json.id}`)).json;
    expect(record.state).toMatchObject({ state: 'failed', error: { code: 'deploy:db:unavailable' } });
  }, 120_000);
});

describe('a store outage shorter than STORE_OUTAGE_TOLERANCE', () => {
  let proxy: MongoFaultProxy;
  let f: PipelineFixture;
  beforeAll(async () => {
    proxy = await MongoFaultProxy.start(process.env.TEST_MONGO_URL!);
    f = await PipelineFixture.start({}, { workerMongoUrl: proxy.url }); // the default tolerance, 10 minutes
  });
  afterAll(async () => {
    await f?.stop();
    await proxy?.stop();
  });

  it("is ridden out: the apps fail to read for 25 s, more than a step's 5 attempts (1 + 2 + 4 + 8 s), and the deployment succeeds", async () => {
    const { repo, sha } = await f.commit();
    await f.configure(repo);
    const fault = proxy.fail({ collection: 'apps', commands: ['find', 'aggregate'] });
    const healing = setTimeout(() => fault.remove(), 25_000);
    try {
      const started = Date.now();
      const pushed = await f.push(repo, sha);
      expect(pushed.status).toBe(202);
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      // Every attempt the step had (at 0, 1, 3, 7 and 15 s) failed; the one after the store healed succeeded.
      expect(fault.hits).toBeGreaterThanOrEqual(5);
      expect(Date.now() - started).toBeGreaterThan(25_000);
    } finally {
      clearTimeout(healing);
      fault.remove();
    }
  }, 120_000);
});
