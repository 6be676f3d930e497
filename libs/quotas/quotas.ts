import { DynamicModule, Global, Module } from '@nestjs/common';
import { ApiError, Errors } from '../errors';

/**
 * Per-user caps (docs/reliability.md#tenant-isolation-review): what one account may hold or
 * start, so one user (or one leaked token) cannot fill the database or keep the workers busy.
 * The admin is held to them too: its credentials leak like anyone's, and an operator who needs
 * more raises the setting.
 */
export interface QuotaLimits {
  /** Apps one user may have (APPS_MAX_PER_USER). */
  appsPerUser: number;
  /** Live (unrevoked) API tokens one user may have (TOKENS_MAX_PER_USER). */
  tokensPerUser: number;
  /** Explicit deployments of one app (redeploy, rollback, promotion to it, env change that deploys) per minute (DEPLOYS_PER_APP_PER_MINUTE). */
  deploysPerAppPerMinute: number;
}

export const QUOTAS = Symbol('QUOTAS');

/** The window of `deploysPerAppPerMinute`. */
export const DEPLOY_WINDOW_MS = 60_000;

/**
 * The gateway's caps, for every module (global). The worker registers none: it creates no apps,
 * tokens or explicit deployments, and services injecting QUOTAS optionally apply none without it.
 */
@Global()
@Module({})
export class QuotasModule {
  static forRoot(limits: QuotaLimits): DynamicModule {
    return { module: QuotasModule, providers: [{ provide: QUOTAS, useValue: limits }], exports: [QUOTAS] };
  }
}

/** A count against its cap: refused, with what to do, when one more would pass it. */
export function checkQuota(kind: 'apps' | 'tokens', user: string, count: number, limits: QuotaLimits): void {
  if (kind === 'apps' && count >= limits.appsPerUser)
    throw ApiError.of(
      Errors.appsTooMany,
      `${user} has ${count} apps, the most one user may have (APPS_MAX_PER_USER is ${limits.appsPerUser}); delete one first.`,
    );
  if (kind === 'tokens' && count >= limits.tokensPerUser)
    throw ApiError.of(
      Errors.tokensTooMany,
      `${user} has ${count} live API tokens, the most one user may have (TOKENS_MAX_PER_USER is ${limits.tokensPerUser}); revoke one first.`,
    );
}

/** Explicit deployments of one app started in the last minute, against DEPLOYS_PER_APP_PER_MINUTE. */
export function checkDeployRate(user: string, app: string, lastMinute: number, limits: QuotaLimits): void {
  if (lastMinute < limits.deploysPerAppPerMinute) return;
  throw ApiError.of(
    Errors.appsTooManyDeploys,
    `${user}/${app} was deployed explicitly ${lastMinute} times in the last minute, the most it may be (DEPLOYS_PER_APP_PER_MINUTE is ${limits.deploysPerAppPerMinute}); try again in a minute.`,
    { retryAfterSeconds: DEPLOY_WINDOW_MS / 1000 },
  );
}
