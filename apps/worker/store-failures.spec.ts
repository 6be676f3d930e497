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
