import { ApplicationFailure } from '@temporalio/common';
import { Errors } from '../../libs/errors';
import { isStoreFailure } from '../../libs/persistence';

/**
 * The activities, a store failure in any of them thrown as `deploy:db:unavailable` (retryable as
 * before): when a step gives up because MongoDB did not answer, the deployment ends with the
 * store's code, not the step's (a stalled store once ended deployments as `deploy:github:no_pkg_json`,
 * sending their users to their repository). docs/reliability.md#store-failures-inside-a-step.
 */
export function reportStoreFailures<A extends object>(activities: A): A {
  return Object.fromEntries(
    Object.entries(activities as Record<string, (...args: unknown[]) => Promise<unknown>>).map(([name, activity]) => [
      name,
      async (...args: unknown[]) => {
        try {
          return await activity(...args);
        } catch (error) {
          if (!isStoreFailure(error)) throw error;
          throw ApplicationFailure.create({
            type: Errors.deployDbUnavailable.code,
            message: `The deployment store (MongoDB) failed during ${name}: ${(error as Error).message}`,
            cause: error as Error,
          });
        }
      },
    ]),
  ) as A;
}
