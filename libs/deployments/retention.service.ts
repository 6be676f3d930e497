import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { StatusRepository } from '../status';
import { DeploymentsRepository } from './deployments.repository';

export interface RetentionSettings {
  /** Raw webhook payloads older than this go (0: kept for ever). */
  payloadsMs: number;
  /** Status entries older than this go (0: kept for ever). */
  statusMs: number;
  sweepEveryMs: number;
}
export const RETENTION_SETTINGS = Symbol('RETENTION_SETTINGS');

/**
 * Data that would only grow: the worker sweeps expired payloads and status entries on a timer
 * (every worker may; the deletes are idempotent). Deployment records are kept: they are the
 * history that retry, the release line and audit read.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly status: StatusRepository,
    @Inject(RETENTION_SETTINGS) private readonly settings: RetentionSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.payloadsMs && !this.settings.statusMs) return;
    // The sweep's indexes, where no gateway made them (a worker may start first, or alone).
    await this.deployments.ensureIndexes().catch((error: Error) => this.logger.warn(`payload indexes not created: ${error.message}`));
    this.timer = setInterval(() => void this.sweepLogged(), this.settings.sweepEveryMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One sweep as of `now`: what it removed. */
  async sweep(now = new Date()): Promise<{ payloads: number; statusEntries: number }> {
    const before = (ms: number) => new Date(now.getTime() - ms);
    const payloads = this.settings.payloadsMs ? await this.deployments.removeExpiredPayloads(before(this.settings.payloadsMs)) : 0;
    const statusEntries = this.settings.statusMs ? await this.status.removeOlderThan(before(this.settings.statusMs)) : 0;
    return { payloads, statusEntries };
  }

  private async sweepLogged(): Promise<void> {
    if (this.running) return; // the previous sweep is still at it
    this.running = this.sweep()
      .then(({ payloads, statusEntries }) => {
        if (payloads || statusEntries) this.logger.log(`removed ${payloads} expired payload(s) and ${statusEntries} status entr(ies)`);
      })
      .catch((error: Error) => this.logger.warn(`retention sweep failed (next one in ${this.settings.sweepEveryMs} ms): ${error.message}`))
      .finally(() => (this.running = undefined));
  }
}
