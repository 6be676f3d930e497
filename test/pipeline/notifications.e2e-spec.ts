import { signature } from '../../libs/notifications';
import { PipelineFixture } from './pipeline-fixture';
import { Subscriber, until } from './subscriber';

/** Notifications (docs/contract.md#notifications): signed, retried, listed and redelivered, on the real stack. */
describe('notifications: deployment events to subscribers', () => {
  let f: PipelineFixture;
  let subscriber: Subscriber;
  const secret = 'notification-secret';
  beforeAll(async () => {
    f = await PipelineFixture.start();
    subscriber = await new Subscriber().start();
  });
  afterAll(async () => {
    await f.stop();
    await subscriber.stop();
  });

  const deliveries = async (app: string) =>
    (await f.harness.request('GET', `/1/apps/admin/${app}/deliveries?limit=50`)).json as Array<Record<string, any>>;

  it('delivers each event signed; 500 twice then 200 is one delivery id, three attempts, delivered; redeliver sends the same body under the same id', async () => {
    const { repo, sha } = await f.commit();
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    const added = await f.harness.request('POST', `/1/apps/admin/${repo}/notifications`, {
      body: {
        url: subscriber.url,
        events: ['deployment.queued', 'deployment.started', 'deployment.succeeded', 'deployment.failed'],
        secret,
      },
    });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ url: subscriber.url, format: 'json', hasSecret: true });
    expect(JSON.stringify(added.json)).not.toContain(secret);
    expect((await f.harness.request('GET', `/1/apps/admin/${repo}/notifications`)).json).toEqual([added.json]);
    subscriber.answers['deployment.succeeded'] = [500, 500];

    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });

    const succeeded = await until('the succeeded delivery', async () =>
      (await deliveries(repo)).find((d) => d.event === 'deployment.succeeded' && d.status !== 'pending'),
    );
    expect(succeeded).toMatchObject({ status: 'delivered', attempts: 3, statusCode: 200, deployment: pushed.json.id });
    const attempts = subscriber.of('deployment.succeeded');
    expect(attempts.map((a) => a.delivery)).toEqual([succeeded.id, succeeded.id, succeeded.id]);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    expect(JSON.parse(attempts[0].body)).toMatchObject({
      event: 'deployment.succeeded',
      delivery: succeeded.id,
      deployment: { id: pushed.json.id, app: repo, commit: sha, repository: `octo-org/${repo}` },
    });

    await until('queued and started delivered', async () =>
      (await deliveries(repo)).filter((d) => d.status === 'delivered').length === 3 ? true : undefined,
    );
    expect(subscriber.received.map((r) => r.event).sort()).toEqual([
      'deployment.queued',
      'deployment.started',
      'deployment.succeeded',
      'deployment.succeeded',
      'deployment.succeeded',
    ]);
    expect(subscriber.of('deployment.failed')).toEqual([]);
    for (const delivery of subscriber.received)
      expect({ event: delivery.event, signature: delivery.signature }).toEqual({
        event: delivery.event,
        signature: signature(secret, delivery.body),
      });

    const redelivered = await f.harness.request('POST', `/1/apps/admin/${repo}/deliveries/${succeeded.id}/redeliver`);
    expect(redelivered.status).toBe(202);
    await until('the redelivery', async () => (subscriber.of('deployment.succeeded').length === 4 ? true : undefined));
    const again = subscriber.of('deployment.succeeded')[3];
    expect(again).toEqual({
      event: 'deployment.succeeded',
      delivery: succeeded.id,
      signature: signature(secret, attempts[0].body),
      body: attempts[0].body,
    });
    const after = await until('the redelivery recorded', async () =>
      (await deliveries(repo)).find((d) => d.id === succeeded.id && d.status === 'delivered' && d.attempts === 4),
    );
    expect(after).toMatchObject({ redeliveries: 1 });
  });

  it('posts a Slack incoming-webhook message for the slack format, unsigned without a secret', async () => {
    const { repo, sha } = await f.commit();
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    expect(
      (
        await f.harness.request('POST', `/1/apps/admin/${repo}/notifications`, {
          body: { url: subscriber.url, events: ['deployment.succeeded'], format: 'slack' },
        })
      ).status,
    ).toBe(201);
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const delivery = await until('the slack delivery', async () => (await deliveries(repo)).find((d) => d.status === 'delivered'));
    const sent = subscriber.received.find((r) => r.delivery === delivery.id)!;
    expect(sent.signature).toBeUndefined();
    expect(JSON.parse(sent.body)).toEqual({ text: expect.stringContaining(`*${repo}*`) });
    expect(JSON.parse(sent.body).text).toContain('succeeded');
  });

  it('refuses a link-local (cloud metadata) notification URL at configuration time', async () => {
    const { repo } = await f.commit();
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}`, { body: { repository: `octo-org/${repo}` } })).status).toBe(200);
    const refused = await f.harness.request('POST', `/1/apps/admin/${repo}/notifications`, {
      body: { url: 'http://169.254.169.254/latest/meta-data', events: ['deployment.failed'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error: 'notifications:bad_url', message: expect.stringContaining('link-local') });
    expect((await f.harness.request('GET', `/1/apps/admin/${repo}/notifications`)).json).toEqual([]);
    const unknownEvent = await f.harness.request('POST', `/1/apps/admin/${repo}/notifications`, {
      body: { url: subscriber.url, events: ['deployment.exploded'] },
    });
    expect(unknownEvent.status).toBe(400);
    expect((await f.harness.request('DELETE', `/1/apps/admin/${repo}/notifications/nope`)).json.error).toBe('notifications:not_found');
    expect((await f.harness.request('POST', `/1/apps/admin/${repo}/deliveries/nope/redeliver`)).json.error).toBe(
      'notifications:delivery_not_found',
    );
  });
});
