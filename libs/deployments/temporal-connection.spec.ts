import { freePort } from '../../tools/stack';
import { ClosableConnection } from './temporal-connection';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ClosableConnection', () => {
  it('closes while a failing call is being retried without a retry firing on the shut-down channel', async () => {
    // Nothing listens there: every attempt fails UNAVAILABLE and the client schedules a retry.
    const closable = new ClosableConnection({ address: `127.0.0.1:${await freePort()}` });
    const call = closable.connection.workflowService.getSystemInfo({}).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await sleep(400);
    await closable.close();
    expect(await call).toMatch(/UNAVAILABLE|shut down|No connection/i);
    // Past every back-off the retry would have waited: a retry on the closed channel would throw here.
    await sleep(3_000);
  }, 30_000);
});
