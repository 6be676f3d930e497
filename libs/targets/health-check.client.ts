import type { HealthCheckPlan, HealthProbeResult } from '../../workflows/types';
import { httpCall } from './http-call';
import { OutboundGuard, OutboundPolicy } from './outbound-guard';
import { redactUrl, TargetError } from './target-error';

/** The part of a health answer read for `bodyIncludes`; the rest is not read. */
const HEALTH_ANSWER_BYTES = 64 * 1024;

export type HealthProbe = Pick<HealthCheckPlan, 'url' | 'expectStatus' | 'bodyIncludes' | 'timeoutMs'>;

/**
 * One probe of an app's health URL (docs/contract.md#verified-releases): a GET through the
 * outbound guard (the same rules as targets, no DNS rebinding, no redirects followed), bounded by
 * the check's timeout. Every outcome is an answer: a refused URL, a timeout or a 500 fail the
 * probe alike, and the bake counts them; nothing here throws.
 */
export class HealthCheckClient {
  private readonly guard: OutboundGuard;

  constructor(policy: OutboundPolicy = {}) {
    this.guard = new OutboundGuard(policy);
  }

  async probe(check: HealthProbe, signal?: AbortSignal): Promise<HealthProbeResult> {
    let answer: { status: number; text: string };
    try {
      const lookup = await this.guard.check(check.url, 'health url');
      answer = await httpCall({
        method: 'GET',
        url: check.url,
        headers: { 'user-agent': 'deploy-webhooks health check', accept: '*/*' },
        maxResponseBytes: HEALTH_ANSWER_BYTES,
        timeoutMs: check.timeoutMs,
        deadlineMs: check.timeoutMs,
        lookup,
        signal,
      });
    } catch (error) {
      const message = error instanceof TargetError ? error.message : (error as Error).message;
      return { ok: false, answer: message.replace(`GET ${redactUrl(check.url)} `, '') };
    }
    const [min, max] = check.expectStatus;
    if (answer.status < min || answer.status > max)
      return { ok: false, answer: `${answer.status} (expected ${min === max ? min : `${min}-${max}`})` };
    if (check.bodyIncludes !== undefined && !answer.text.includes(check.bodyIncludes))
      return { ok: false, answer: `${answer.status} (body lacks ${JSON.stringify(check.bodyIncludes)})` };
    return { ok: true, answer: String(answer.status) };
  }
}
