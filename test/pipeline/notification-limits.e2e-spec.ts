import { randomBytes } from 'node:crypto';
import { NotificationsRepository } from '../../libs/notifications';
import { PipelineFixture, sleep } from './pipeline-fixture';
import { Subscriber, Tarpit, until } from './subscriber';

/**
 * Tenant isolation of notifications (docs/reliability.md#tenant-isolation-review): deliveries on their
 * own task queue, short timeouts, caps per app and per user, a paginated list, redeliveries
 * limited, subscribers that keep failing disabled, URLs sealed at rest. On the real stack.
 */
describe('notifications: limits that keep one tenant from holding the worker', () => {
  let f: PipelineFixture;
  let good: Subscriber;
  let failing: Subscriber;
  let tarpit: Tarpit;
  beforeAll(async () => {
    f = await PipelineFixture.start({
      NOTIFICATIONS_MAX_PER_APP: '3',
      NOTIFICATIONS_MAX_PER_USER: '5',
      NOTIFICATIONS_DISABLE_AFTER_FAILURES: '3',
      NOTIFICATIONS_DISABLE_AFTER: '0s',
      NOTIFICATIONS_REDELIVERIES_PER_MINUTE: '2',
    });
    good = await new Subscriber().start();
    failing = await new Subscriber().start();
    failing.otherwise = 500;
    tarpit = await new Tarpit().start();
  });
  afterAll(async () => {
    await f.stop();
    await Promise.all([good.stop(), failing.stop(), tarpit.stop()]);
  });

  const subscribe = (app: string, url: string, events = ['deployment.succeeded'], auth?: { username: string; password: string }) =>
    f.harness.request('POST', `/1/apps/${auth?.username ?? 'admin'}/${app}/notifications`, { body: { url, events }, auth });
  const deliveries = async (app: string) =>
    (await f.harness.request('GET', `/1/apps/admin/${app}/deliveries?limit=50`)).json as Array<Record<string, any>>;
  /** A configured app, pushed once with the given subscriptions; answers the deployment's id once it has succeeded. */
  async function deployed(subscriptions: Array<{ url: string; events?: string[] }>): Promise<{ app: string; deployment: string }> {
    const { repo, sha } = await f.commit();
    await f.configure(repo);
    for (const s of subscriptions) expect((await subscribe(repo, s.url, s.events)).status).toBe(201);
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    return { app: repo, deployment: pushed.json.id };
  }

  it("runs deliveries on the notifications' own task queue, and gives a subscriber that never answers 5 s", async () => {
    const { app } = await deployed([{ url: good.url }, { url: tarpit.url, events: ['deployment.queued'] }]);
    const delivered = await until('the delivery to the answering subscriber', async () =>
      (await deliveries(app)).find((d) => d.url === good.url && d.status === 'delivered'),
    );
    const { notificationsTaskQueue, taskQueue } = f.harness.config.temporal;
    expect(notificationsTaskQueue).not.toBe(taskQueue);
    const description = await f.harness.temporal.workflow.getHandle(`notification/${delivered.id}`).describe();
    expect(description.taskQueue).toBe(notificationsTaskQueue);

    const held = await until('the tarpit attempt to time out', async () =>
      (await deliveries(app)).find((d) => d.url === tarpit.url && d.lastError !== undefined),
    );
    expect(held).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/timed out after 5000 ms without progress/) });
    expect(tarpit.sockets.length).toBeGreaterThan(0);
    // Still being delivered (it retries): a redelivery now is refused, not started beside it.
    const again = await f.harness.request('POST', `/1/apps/admin/${app}/deliveries/${held.id}/redeliver`);
    expect({ status: again.status, error: again.json.error }).toEqual({ status: 409, error: 'notifications:delivery_pending' });
  });

  it('caps subscriptions per app and per user, and lists them in pages', async () => {
    const app = `capped-${randomBytes(3).toString('hex')}`;
    await f.configure(app);
    for (let i = 0; i < 3; i++) expect((await subscribe(app, `${good.url}/${i}`)).status).toBe(201);
    const fourth = await subscribe(app, `${good.url}/3`);
    expect({ status: fourth.status, error: fourth.json.error }).toEqual({ status: 422, error: 'notifications:limit_reached' });
    expect(fourth.json.message).toMatch(/has 3 notification subscriptions, the most an app may have/);

    const page = async (query: string) => (await f.harness.request('GET', `/1/apps/admin/${app}/notifications${query}`)).json;
    expect((await page('')).map((s: { url: string }) => s.url)).toEqual([0, 1, 2].map((i) => `${good.url}/${i}`));
    expect((await page('?limit=2')).map((s: { url: string }) => s.url)).toEqual([`${good.url}/0`, `${good.url}/1`]);
    expect((await page('?limit=2&skip=2')).map((s: { url: string }) => s.url)).toEqual([`${good.url}/2`]);
    expect((await page('?limit=0')).error).toBe('request:invalid');
    // Removing one makes room again (and keeps admin under the user cap for the other tests).
    for (const { id } of await page(''))
      expect((await f.harness.request('DELETE', `/1/apps/admin/${app}/notifications/${id}`)).status).toBe(204);
    expect((await subscribe(app, `${good.url}/again`)).status).toBe(201);
    await f.harness.request('DELETE', `/1/apps/admin/${app}/notifications/${(await page(''))[0].id}`);

    const bob = { username: `bob${randomBytes(3).toString('hex')}`, password: 'correct-horse-battery' };
    expect((await f.harness.request('POST', '/1/users', { body: bob })).status).toBe(201);
    for (const name of ['one', 'two'])
      expect(
        (await f.harness.request('PUT', `/1/apps/${bob.username}/${name}`, { body: { repository: `octo-org/${name}` }, auth: bob })).status,
      ).toBe(200);
    for (let i = 0; i < 3; i++) expect((await subscribe('one', `${good.url}/${i}`, undefined, bob)).status).toBe(201);
    for (const i of ['a', 'b']) expect((await subscribe('two', `${good.url}/${i}`, undefined, bob)).status).toBe(201);
    const sixth = await subscribe('two', `${good.url}/c`, undefined, bob);
    expect({ status: sixth.status, error: sixth.json.error }).toEqual({ status: 422, error: 'notifications:limit_reached' });
    expect(sixth.json.message).toMatch(/has 5 notification subscriptions over all apps/);
    expect(await f.harness.db.collection('notifications').countDocuments({ user: bob.username })).toBe(5);
  });

  it('refuses a URL that does not parse', async () => {
    const app = `urls-${randomBytes(3).toString('hex')}`;
    await f.configure(app);
    const added = await subscribe(app, 'http://[::ffff:7f00:2%25lo]:3650/');
    expect({ status: added.status, error: added.json.error }).toEqual({ status: 400, error: 'notifications:bad_url' });
  });

  it('disables a subscriber that keeps failing, keeps its events as not sent, and sends again once enabled', async () => {
    const events = ['deployment.queued', 'deployment.started', 'deployment.succeeded'];
    const { app } = await deployed([{ url: failing.url, events }]);
    const [subscription] = await until('the subscription disabled', async () => {
      const list = (await f.harness.request('GET', `/1/apps/admin/${app}/notifications`)).json as Array<Record<string, any>>;
      return list[0]?.disabled ? list : undefined;
    });
    expect(subscription.disabled).toEqual({ at: expect.any(String), reason: '3 or more failed attempts in a row' });
    const ended = await until('its deliveries ended', async () => {
      const list = await deliveries(app);
      return list.length === 3 && list.every((d) => d.status === 'failed') ? list : undefined;
    });
    expect(ended.some((d) => /the subscription is disabled since/.test(d.lastError))).toBe(true);
    const posts = failing.received.length;
    await sleep(3_000); // the back-off would have tried again by now
    expect(failing.received.length).toBe(posts);

    const { sha } = await f.commit({ repo: app });
    const pushed = await f.push(app, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const missed = await until('the second deployment’s deliveries', async () => {
      const list = (await deliveries(app)).filter((d) => d.deployment === pushed.json.id);
      return list.length === 3 ? list : undefined;
    });
    for (const d of missed)
      expect(d).toMatchObject({
        status: 'failed',
        attempts: 0,
        lastError: expect.stringMatching(/^not sent: the subscription is disabled/),
      });
    expect(failing.received.length).toBe(posts);

    const refused = await f.harness.request('POST', `/1/apps/admin/${app}/deliveries/${missed[0].id}/redeliver`);
    expect({ status: refused.status, error: refused.json.error }).toEqual({ status: 409, error: 'notifications:disabled' });
    const enabled = await f.harness.request('POST', `/1/apps/admin/${app}/notifications/${subscription.id}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.json.disabled).toBeUndefined();
    failing.otherwise = 200;
    expect((await f.harness.request('POST', `/1/apps/admin/${app}/deliveries/${missed[0].id}/redeliver`)).status).toBe(202);
    await until('the missed event delivered', async () =>
      (await deliveries(app)).find((d) => d.id === missed[0].id && d.status === 'delivered'),
    );
  });

  it('limits redeliveries per app and minute', async () => {
    const { app } = await deployed([{ url: good.url, events: ['deployment.queued', 'deployment.started', 'deployment.succeeded'] }]);
    const done = await until('three deliveries', async () => {
      const list = await deliveries(app);
      return list.length === 3 && list.every((d) => d.status === 'delivered') ? list : undefined;
    });
    const redeliver = (id: string) => f.harness.request('POST', `/1/apps/admin/${app}/deliveries/${id}/redeliver`);
    expect((await redeliver(done[0].id)).status).toBe(202);
    expect((await redeliver(done[1].id)).status).toBe(202);
    const third = await redeliver(done[2].id);
    expect({ status: third.status, error: third.json.error }).toEqual({ status: 429, error: 'notifications:redeliver_throttled' });
    expect(third.headers.get('retry-after')).toBe('60');
  });

  it('keeps subscriber URLs sealed at rest, and seals those stored before', async () => {
    const { app } = await deployed([{ url: good.url }]);
    await until('the delivery', async () => (await deliveries(app)).find((d) => d.status === 'delivered'));
    const stored = [
      ...(await f.harness.db.collection('notifications').find({ user: 'admin', app }).toArray()),
      ...(await f.harness.db.collection('deliveries').find({ user: 'admin', app }).toArray()),
    ];
    expect(stored).toHaveLength(2);
    for (const doc of stored) {
      expect(doc.url).toBeUndefined();
      expect(doc.sealedUrl).toMatch(/^v1:/);
      expect(JSON.stringify(doc)).not.toContain('127.0.0.1');
    }

    const legacy = { _id: `legacy-${app}`, user: 'admin', app, url: 'https://hooks.example.com/legacy', events: ['deployment.failed'] };
    await f.harness.db
      .collection<{ _id: string } & Record<string, unknown>>('notifications')
      .insertOne({ ...legacy, format: 'json', createdAt: new Date() });
    await f.harness.gateway!.get(NotificationsRepository).sealStoredUrls();
    const raw = await f.harness.db.collection('notifications').findOne({ _id: legacy._id } as object);
    expect(raw).toMatchObject({ sealedUrl: expect.stringMatching(/^v1:/) });
    expect(raw!.url).toBeUndefined();
    const listed = (await f.harness.request('GET', `/1/apps/admin/${app}/notifications`)).json as Array<{ id: string; url: string }>;
    expect(listed.find((s) => s.id === legacy._id)?.url).toBe(legacy.url);
  });
});
