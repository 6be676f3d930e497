import { MongoFaultProxy } from '../support/mongo-fault-proxy';
import { PipelineFixture } from './pipeline-fixture';

/**
 * A step whose MongoDB reads keep failing ends the deployment with the store's code, not the
 * step's (docs/reliability.md#store-failures-inside-a-step): the worker alone reaches MongoDB
 * through a fault proxy that fails every read of the apps while the gateway takes the push.
 */
describe('a store failure inside a step', () => {
  let proxy: MongoFaultProxy;
  let f: PipelineFixture;
  beforeAll(async () => {
    proxy = await MongoFaultProxy.start(process.env.TEST_MONGO_URL!);
    f = await PipelineFixture.start({}, { workerMongoUrl: proxy.url });
  });
  afterAll(async () => {
    await f?.stop();
    await proxy?.stop();
  });

  it('ends the deployment with deploy:db:unavailable, naming the store, once the step gives up', async () => {
    const { repo, sha } = await f.commit();
    await f.configure(repo);
    const fault = proxy.fail({ collection: 'apps', commands: ['find', 'aggregate'] });
    const pushed = await f.push(repo, sha);
    try {
      expect(pushed.status).toBe(202);
      const outcome = await f.outcome(pushed.json.workflowId);
      expect(outcome).toMatchObject({
        state: 'failed',
        error: { code: 'deploy:db:unavailable', message: expect.stringMatching(/The deployment store \(MongoDB\) failed during \w+/) },
      });
      expect(fault.hits).toBeGreaterThan(1); // retried before it gave up
    } finally {
      fault.remove();
    }
    // The record and the status log say it too, once the store answers again.
    const record = (await f.harness.request('GET', `/1/deployments/${pushed.json.id}`)).json;
    expect(record.state).toMatchObject({ state: 'failed', error: { code: 'deploy:db:unavailable' } });
  });
});
