import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { StatusRepository } from '../status';
import { BlobStore } from '../tarballs';
import { DeploymentsRepository } from '../deployments/deployments.repository';
import { Periodic } from './periodic';

export interface RetentionSettings {
  /** Raw webhook payloads older than this go (0: kept for ever). */
  payloadsMs: number;
  /** Status entries older than this go (0: kept for ever). */
  statusMs: number;
  sweepEveryMs: number;
}
export const RETENTION_SETTINGS = Symbol('RETENTION_SETTINGS');
/** A fetch attempt lasts at most 30 minutes: a blob or partial write older than this is nobody's work in progress. */
const BLOB_GRACE_MS = 60 * 60 * 1000;

/**
 * Data that would only grow: the worker sweeps expired payloads, status entries and blobs left
 * behind by ended deployments on a timer
 * (every worker may; the deletes are idempotent). Deployment records are kept: they are the
 * history that retry, the release line and audit read.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly periodic = new Periodic(() => this.sweepLogged());

  constructor(
    private readonly deployments: DeploymentsRepository,
    private readonly status: StatusRepository,
    private readonly blobs: BlobStore,
    @Inject(RETENTION_SETTINGS) private readonly settings: RetentionSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.periodic.start(this.settings.sweepEveryMs); // RETENTION_SWEEP_INTERVAL=0: no sweeping on this worker
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /** One sweep as of `now`: what it removed. Blobs go once their deployment has ended, whatever the settings. */
  async sweep(now = new Date()): Promise<{ payloads: number; statusEntries: number; blobs: number }> {
    const before = (ms: number) => new Date(now.getTime() - ms);
    const payloads = this.settings.payloadsMs ? await this.deployments.removeExpiredPayloads(before(this.settings.payloadsMs)) : 0;
    const statusEntries = this.settings.statusMs ? await this.status.removeOlderThan(before(this.settings.statusMs)) : 0;
    const blobs = await this.blobs.sweep(before(BLOB_GRACE_MS), (id) => this.deployments.isLive(id));
    return { payloads, statusEntries, blobs };
  }

  private sweepLogged(): Promise<void> {
    return this.sweep()
      .then(({ payloads, statusEntries, blobs }) => {
        if (payloads || statusEntries || blobs)
          this.logger.log(`removed ${payloads} expired payload(s), ${statusEntries} status entr(ies), ${blobs} leftover blob(s)`);
      })
      .catch((error: Error) => this.logger.warn(`retention sweep failed (next one in ${this.settings.sweepEveryMs} ms): ${error.message}`));
  }
}
