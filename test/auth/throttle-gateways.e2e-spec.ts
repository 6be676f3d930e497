import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ADMIN, Harness } from '../support/harness';
import { startGateway } from '../support/second-gateway';

const wrong = (username: string) => ({ username, password: 'guess' });

/**
 * Failed sign-ins are counted in MongoDB, so the limits hold over every gateway on one database
 * (docs/reliability.md#limits-across-gateways): a guesser gains nothing by spreading
 * attempts over the gateways behind a load balancer.
 */
describe('failed sign-in throttling across gateways', () => {
  let harness: Harness;
  let second: { app: NestFastifyApplication; baseUrl: string };
  beforeAll(async () => {
    harness = await Harness.start({ worker: false, env: { LOGIN_FAILURES_PER_USER: '3', LOGIN_FAILURES_PER_ADDRESS: '5' } });
    second = await startGateway(harness.config);
  });
  afterAll(async () => {
    await second?.app.close();
    await harness.stop();
  });

  const on = async (baseUrl: string, username: string, auth: { username: string; password: string }) => {
    const response = await fetch(`${baseUrl}/1/status/${username}/webhooks`, {
      headers: { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` },
    });
    return [response.status, ((await response.json()) as { error?: string }).error];
  };

  it('reaches the per-user limit with failures spread over both gateways, and throttles the user on both', async () => {
    expect(await on(harness.baseUrl, 'admin', wrong('admin'))).toEqual([401, 'mw:auth:unauthorized']);
    expect(await on(second.baseUrl, 'admin', wrong('admin'))).toEqual([401, 'mw:auth:unauthorized']);
    expect(await on(harness.baseUrl, 'admin', wrong('admin'))).toEqual([401, 'mw:auth:unauthorized']);
    // Two failures on A and one on B: three in all, the limit.
    expect(await on(second.baseUrl, 'admin', ADMIN)).toEqual([429, 'mw:auth:throttled']);
    expect(await on(harness.baseUrl, 'admin', ADMIN)).toEqual([429, 'mw:auth:throttled']);
  });

  it('reaches the per-address limit with failures spread over both gateways', async () => {
    // The address has 3 failures from the test before: two more, one on each gateway, reach 5.
    expect(await on(second.baseUrl, 'eve1', wrong('eve1'))).toEqual([401, 'mw:auth:unauthorized']);
    expect(await on(harness.baseUrl, 'eve2', wrong('eve2'))).toEqual([401, 'mw:auth:unauthorized']);
    expect(await on(second.baseUrl, 'eve3', wrong('eve3'))).toEqual([429, 'mw:auth:throttled']);
  });
});
