import { ApplicationFailure } from '@temporalio/common';
import { MongoNetworkError, MongoServerError } from 'mongodb';
import { ApiError, Errors } from '../../libs/errors';
import { reportStoreFailures } from './store-failures';

describe('reportStoreFailures', () => {
  const failing = (error: Error) =>
    reportStoreFailures({
      resolveApp: async () => {
        throw error;
      },
    }).resolveApp();

  it('throws a store failure as a retryable deploy:db:unavailable naming the activity', async () => {
    for (const cause of [new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'), ApiError.of(Errors.appsDbFailed)]) {
      const thrown = await failing(cause).catch((error: unknown) => error);
      expect(thrown).toBeInstanceOf(ApplicationFailure);
      expect(thrown).toMatchObject({ type: 'deploy:db:unavailable', nonRetryable: false, cause });
      expect((thrown as Error).message).toMatch(/^The deployment store \(MongoDB\) failed during resolveApp: /);
    }
  });

  it('leaves every other failure, a duplicate key included, and every answer as they are', async () => {
    const duplicate = new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key' });
    const own = ApplicationFailure.nonRetryable('no package.json', 'deploy:github:no_pkg_json');
    for (const cause of [duplicate, own, new Error('a bug')]) expect(await failing(cause).catch((error: unknown) => error)).toBe(cause);
    expect(await reportStoreFailures({ answer: async (n: number) => n + 1 }).answer(41)).toBe(42);
  });
});

describe('reportStoreFailures: attempts and the store outage tolerance', () => {
  const scheduled = 1_000_000;
  const run = (error: Error, attempt: number, elapsedMs: number, activity = 'resolveApp') => {
    const wrapped: Record<string, () => Promise<never>> = reportStoreFailures(
      { [activity]: async () => Promise.reject(error) },
      { toleranceMs: 60_000, info: () => ({ attempt, scheduledTimestampMs: scheduled }), now: () => scheduled + elapsedMs },
    );
    return wrapped[activity]().catch((thrown: unknown) => thrown as ApplicationFailure);
  };

  it("retries a store failure past the step's attempts until the tolerance has passed since it was scheduled", async () => {
    const store = new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');
    expect(await run(store, 40, 59_000)).toMatchObject({ type: 'deploy:db:unavailable', nonRetryable: false });
    expect(await run(store, 40, 61_000)).toMatchObject({ type: 'deploy:db:unavailable', nonRetryable: true });
  });

  it("ends a step's own failure at its attempts (workflows/step-attempts.ts), keeping its type and message", async () => {
    const own = () => ApplicationFailure.retryable('GitHub answered 502', 'deploy:github:read_failed');
    expect(await run(own(), 4, 0)).toMatchObject({ type: 'deploy:github:read_failed', nonRetryable: false });
    expect(await run(own(), 5, 0)).toMatchObject({ type: 'deploy:github:read_failed', message: 'GitHub answered 502', nonRetryable: true });
    expect(await run(own(), 4, 0, 'fetchTarball')).toMatchObject({ nonRetryable: false });
    expect(await run(own(), 5, 0, 'fetchTarball')).toMatchObject({ nonRetryable: true });
    expect(await run(own(), 10, 0, 'pollTarget')).toMatchObject({ nonRetryable: false }); // its proxy caps it
    expect(await run(own(), 1, 0, 'uploadPackage')).toMatchObject({ nonRetryable: false }); // the workflow counts uploads
    expect(await run(new TypeError('a bug'), 5, 0)).toMatchObject({ type: 'TypeError', message: 'a bug', nonRetryable: true });
  });

  it('ends a step whose own attempts timed out as the step, and keeps trying one the store failed', async () => {
    let hang = true;
    let attempt = 5;
    const step = `run-${Math.random()}/7`;
    const wrapped = reportStoreFailures(
      {
        resolveApp: async () => {
          if (hang) await new Promise(() => undefined); // never ends: Temporal times the attempt out
          throw new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');
        },
      },
      { toleranceMs: 60_000, info: () => ({ attempt, scheduledTimestampMs: scheduled, step }), now: () => scheduled + 30_000 },
    );
    void wrapped.resolveApp(); // attempt 5 of 5 hangs, and times out
    attempt = 6; // 30 s into a 60 s tolerance
    const timedOut = (await wrapped.resolveApp().catch((thrown: unknown) => thrown)) as ApplicationFailure;
    expect(timedOut).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/resolveApp did not complete in 5 attempts/) });
    expect(timedOut.type).not.toBe('deploy:db:unavailable'); // the workflow names the step's code

    hang = false;
    attempt = 5; // the same step, its attempt 5 failed by the store …
    await wrapped.resolveApp().catch(() => undefined);
    attempt = 6; // … so attempt 6 runs and meets the store again, still within the tolerance
    expect(await wrapped.resolveApp().catch((thrown: unknown) => thrown)).toMatchObject({
      type: 'deploy:db:unavailable',
      nonRetryable: false,
    });
  });

  it('gives up at once on an attempt that starts past both its attempts and the tolerance', async () => {
    expect(await run(new Error('never called'), 6, 61_000)).toMatchObject({ type: 'deploy:db:unavailable', nonRetryable: true });
  });
});
