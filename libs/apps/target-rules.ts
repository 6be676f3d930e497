import { DynamicModule, Global, Module } from '@nestjs/common';
import { ApiError, Errors } from '../errors';
import { OutboundGuard, OutboundPolicy, reachesTarget, TargetError, withSampleId } from '../targets';

/** What a target an app names may be: the worker's outbound rules, and not the shared default target. */
export interface AppTargetRules {
  outbound: OutboundPolicy;
  /** The shared default target (DEFAULT_TARGET_URL / DEFAULT_TARGET_STATUS_URL). */
  defaultTarget?: { url: string; statusUrl?: string };
}

export const APP_TARGET_RULES = Symbol('APP_TARGET_RULES');

/** Gives AppsService the rules wherever AppsModule is imported (the gateway imports it directly and through several libraries' modules). */
@Global()
@Module({})
export class AppTargetRulesModule {
  static forRoot(rules: AppTargetRules): DynamicModule {
    return { module: AppTargetRulesModule, providers: [{ provide: APP_TARGET_RULES, useValue: rules }], exports: [APP_TARGET_RULES] };
  }
}

/**
 * Refuses at `PUT /1/apps` what the worker would refuse at every call (link-local, metadata,
 * loopback and private hosts unless TARGET_ALLOW allows them) and a url or statusUrl reaching
 * the shared default target under any spelling: there app names belong to their first
 * deployer, and an app deploys there only by naming no target. A host that does not resolve
 * now passes: the worker checks again before each call.
 */
export class TargetRulesCheck {
  private readonly guard: OutboundGuard;

  constructor(private readonly rules: AppTargetRules = { outbound: {} }) {
    this.guard = new OutboundGuard(rules.outbound);
  }

  async check(target: { url: string; statusUrl?: string | null } | undefined): Promise<void> {
    if (!target) return;
    const shared = this.rules.defaultTarget;
    for (const field of ['url', 'statusUrl'] as const) {
      const value = target[field];
      if (value == null) continue;
      const url = withSampleId(value);
      if (shared && (await reachesTarget(url, shared))) {
        throw ApiError.of(
          Errors.appsBadTarget,
          `target.${field} reaches the shared default target; to deploy there, leave target out (app names there belong to the first user who deploys them).`,
        );
      }
      try {
        await this.guard.check(url, field);
      } catch (error) {
        if (!(error instanceof TargetError) || error.kind !== 'config') continue; // unresolvable now: checked at each call
        throw ApiError.of(Errors.appsBadTarget, `target.${field}: ${error.message.replace(/^the target's \w+ /, '')}.`);
      }
    }
  }

  /** The health URL of an app (docs/contract.md#verified-releases): the outbound rules of targets; probes check again at each call. */
  async checkHealthUrl(url: string): Promise<void> {
    try {
      await this.guard.check(url, 'healthCheck.url');
    } catch (error) {
      if (!(error instanceof TargetError) || error.kind !== 'config') return; // unresolvable now: checked at each probe
      throw ApiError.of(Errors.appsBadHealthCheck, `healthCheck.url: ${error.message.replace(/^the target's [\w.]+ /, '')}.`);
    }
  }
}
