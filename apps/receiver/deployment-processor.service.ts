import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ApiError, Errors } from '../../libs/errors';
import { printable } from '../../libs/logging/printable';
import { EntryGuard, TarballRejected, TarLimits } from '../../libs/tarballs/safety';
import { PackageRecord } from '../../libs/targets';
import { checkExtractedLinks, extractArchive } from './extract';
import { ExtractionBudget } from './extraction-budget';
import { PackageStore, StoredPackage, StoredRecord } from './package-store';
import {
  DEFAULT_MAX_COMPRESSION_RATIO,
  DEFAULT_MAX_CONCURRENT_EXTRACTIONS,
  DEFAULT_MAX_EXTRACTED_BYTES,
  DEFAULT_MIN_FREE_DISK_BYTES,
  RECEIVER_OPTIONS,
  ReceiverOptions,
} from './receiver-options';
import { DEFAULT_RELEASES_KEPT, Releases } from './releases';
import { Upload } from './upload.service';

export const INTERRUPTED = 'interrupted by a receiver restart';
export const WAITING = 'waiting for an extraction slot';

/**
 * The receiver's state machine: package PENDING → PROCESSING → SUCCESS | ERROR, each record
 * NONE → PROCESSING → FINISHED | ERROR, every transition persisted with a timestamp. Packages of
 * one app run one after another (they share its directory); different apps run side by side.
 * On start: PENDING packages (fully received, never started) are resumed; PROCESSING ones are
 * marked ERROR, because their hooks may have run half-way and re-running them is not safe.
 * DEPLOY packages also take one of a bounded number of extraction slots (ExtractionBudget).
 */
@Injectable()
export class DeploymentProcessor implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('Receiver');
  private readonly chains = new Map<string, Promise<void>>();
  private readonly releases: Releases;
  private readonly budget: ExtractionBudget;

  constructor(
    @Inject(RECEIVER_OPTIONS) private readonly options: ReceiverOptions,
    private readonly store: PackageStore,
  ) {
    this.releases = new Releases(options.deployDir, options.stateDir, options.releasesKept ?? DEFAULT_RELEASES_KEPT);
    this.budget = new ExtractionBudget({
      deployDir: options.deployDir,
      maxConcurrent: options.maxConcurrentExtractions ?? DEFAULT_MAX_CONCURRENT_EXTRACTIONS,
      maxExtractedBytes: options.maxExtractedBytes ?? DEFAULT_MAX_EXTRACTED_BYTES,
      maxCompressionRatio: options.maxCompressionRatio ?? DEFAULT_MAX_COMPRESSION_RATIO,
      minFreeDiskBytes: options.minFreeDiskBytes ?? DEFAULT_MIN_FREE_DISK_BYTES,
    });
  }

  async onModuleInit(): Promise<void> {
    await mkdir(this.options.deployDir, { recursive: true });
    await this.store.load();
    await this.store.prune();
    const stored = this.store.all();
    await this.releases.discardStaging();
    for (const pkg of stored.filter((p) => p.state === 'PROCESSING')) await this.fail(pkg, INTERRUPTED);
    const pending = stored.filter((p) => p.state === 'PENDING');
    await this.removeOrphanUploads(new Set(pending.map((p) => p.uploadDir)));
    pending.forEach((pkg) => this.enqueue(pkg));
  }

  /** Lets packages in progress finish (bounded); whatever is still running after that is abandoned, never half-saved. */
  async onApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.shutdownGraceMs ?? 10_000)));
    await Promise.race([this.idle(), grace]);
    clearTimeout(timer);
    this.store.close();
  }

  /** Registers a received push and starts it; a repeated `_doc` is answered with the first one's id, untouched. */
  async accept(upload: Upload): Promise<{ id: string; duplicate: boolean }> {
    const { pkg } = upload;
    if (this.store.get(pkg._doc)) {
      await rm(upload.uploadDir, { recursive: true, force: true });
      return { id: pkg._doc, duplicate: true };
    }
    let records: PackageRecord[];
    try {
      records = pairRecords(upload);
    } catch (err) {
      await rm(upload.uploadDir, { recursive: true, force: true });
      throw err;
    }
    const at = new Date().toISOString();
    const stored: StoredPackage = {
      _doc: pkg._doc,
      state: 'PENDING',
      operation: pkg.operation,
      retain: pkg.retain,
      app: pkg.app,
      message: '',
      records: records.map((r): StoredRecord => ({
        _doc: r._doc,
        state: 'NONE',
        operation: r.operation,
        ref: r.ref,
        success: false,
        message: '',
        history: [{ state: 'NONE', at }],
      })),
      history: [{ state: 'PENDING', at }],
      pkg: { ...pkg, records },
      archives: upload.archives,
      uploadDir: upload.uploadDir,
    };
    await this.store.create(stored);
    this.enqueue(stored);
    return { id: pkg._doc, duplicate: false };
  }

  /** Resolves once every queued package has been processed (tests, graceful stops). */
  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private enqueue(stored: StoredPackage): void {
    const app = stored.app.name;
    const next = (this.chains.get(app) ?? Promise.resolve())
      .then(() => this.process(stored))
      .catch((err) =>
        this.log.error(`package ${stored._doc} could not be processed: ${printable(String((err as Error).stack ?? err), 8192)}`),
      );
    this.chains.set(app, next);
    // An app's chain is dropped once it has run dry: the map holds apps with work, not every app ever seen.
    void next.then(() => {
      if (this.chains.get(app) === next) this.chains.delete(app);
    });
  }

  /** Apps with packages queued or in progress (tests: the chains map does not grow with every app). */
  get busyApps(): number {
    return this.chains.size;
  }

  private async process(stored: StoredPackage): Promise<void> {
    // Taken while still PENDING: a package waiting for a slot has done nothing, so a restart resumes it.
    const release = stored.operation === 'DEPLOY' ? await this.budget.slot(() => this.store.note(stored, WAITING)) : undefined;
    try {
      await this.processNow(stored);
    } finally {
      release?.();
    }
  }

  private async processNow(stored: StoredPackage): Promise<void> {
    const hooks = this.options.hooks ?? {};
    await this.store.setPackageState(stored, 'PROCESSING');
    try {
      await hooks.before?.(stored.pkg);
      if (stored.operation === 'DEPLOY') await this.deploy(stored);
      else if (stored.operation === 'ACTIVATE') await this.activateKept(stored);
      else await this.undeploy(stored);
      await hooks.after?.(stored.pkg);
      // Logged before the state is stored: whoever reads the final state finds its log line.
      this.log.log(`package ${stored._doc} (${stored.operation} ${stored.app.name}) succeeded`);
      await this.store.setPackageState(stored, 'SUCCESS');
    } catch (err) {
      const message = this.describe(err);
      this.log.warn(`package ${stored._doc} (${stored.operation} ${stored.app.name}) failed: ${message}`);
      await this.fail(stored, message);
    } finally {
      await this.releases.discardStaging(stored._doc);
      await rm(stored.uploadDir, { recursive: true, force: true });
    }
  }

  private async deploy(stored: StoredPackage): Promise<void> {
    const { pkg } = stored;
    let archiveBytes = 0;
    for (const archive of stored.archives) archiveBytes += (await stat(archive.file)).size;
    const allowance = await this.budget.allowance(archiveBytes);
    try {
      const limits: TarLimits = {
        maxEntries: this.options.maxEntries,
        maxBytes: allowance.maxBytes,
        maxBytesReason: allowance.reason,
        stripComponents: this.options.stripComponents ?? 1,
      };
      const guard = new EntryGuard(limits);
      const staging = await this.releases.staging(stored._doc);
      for (const [i, record] of pkg.records.entries()) {
        await this.store.setRecordState(stored, i, 'PROCESSING');
        const archive = stored.archives[i];
        await extractArchive(archive.file, staging, guard, limits, async (header) => this.options.hooks?.entry?.(pkg, header));
        await checkExtractedLinks(staging);
        await this.options.hooks?.execute?.(pkg, record, staging);
        await this.store.setRecordState(stored, i, 'FINISHED', `extracted ${archive.part}`);
      }
      await this.releases.activate(pkg.app.name, stored._doc, pkg.retain);
    } finally {
      allowance.release();
    }
  }

  /** ACTIVATE (docs/contract.md#activate): a kept release goes live by the same atomic switch as a retained DEPLOY. */
  private async activateKept(stored: StoredPackage): Promise<void> {
    const { pkg } = stored;
    const id = pkg.activates!;
    for (const i of pkg.records.keys()) await this.store.setRecordState(stored, i, 'PROCESSING');
    const dir = await this.releases.kept(pkg.app.name, id);
    for (const record of pkg.records) await this.options.hooks?.execute?.(pkg, record, dir);
    await this.releases.activateKept(pkg.app.name, id);
    for (const i of pkg.records.keys()) await this.store.setRecordState(stored, i, 'FINISHED', `activated ${id}`);
  }

  private async undeploy(stored: StoredPackage): Promise<void> {
    const { pkg } = stored;
    const dir = this.releases.appDir(pkg.app.name);
    for (const [i, record] of pkg.records.entries()) {
      await this.store.setRecordState(stored, i, 'PROCESSING');
      await this.options.hooks?.execute?.(pkg, record, dir);
    }
    const removed = await this.releases.remove(pkg.app.name, pkg.retain);
    for (const i of pkg.records.keys())
      await this.store.setRecordState(stored, i, 'FINISHED', removed ? `removed ${pkg.app.name}` : 'retained: files kept');
  }

  /** ERROR for the package and every record not yet final; the record in progress carries the cause. */
  private async fail(stored: StoredPackage, message: string): Promise<void> {
    for (const [i, record] of stored.records.entries()) {
      if (record.state === 'FINISHED' || record.state === 'ERROR') continue;
      await this.store.setRecordState(stored, i, 'ERROR', record.state === 'PROCESSING' ? message : `not processed: ${message}`);
    }
    await this.store.setPackageState(stored, 'ERROR', message);
  }

  /**
   * The message a failure leaves in the status and the log: one line, control characters
   * escaped (entry names and hook messages are outside text), and no absolute path of this server.
   */
  private describe(err: unknown): string {
    const text = err instanceof TarballRejected ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    let relative = text;
    for (const dir of [this.options.deployDir, this.options.stateDir].map((d) => resolve(d)))
      relative = relative.split(dir).join('<receiver dir>');
    return printable(relative);
  }

  private async removeOrphanUploads(keep: Set<string>): Promise<void> {
    const dir = join(this.options.stateDir, 'uploads');
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) if (!keep.has(join(dir, name))) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Records pair with archive parts by their `archive` field, else in order; archives without a
 * record get one. DEPLOY needs an archive per record; UNDEPLOY ignores archives; ACTIVATE refuses them.
 */
function pairRecords({ pkg, archives }: Upload): PackageRecord[] {
  if (pkg.operation === 'UNDEPLOY') {
    return pkg.records.length ? pkg.records : [{ _doc: pkg._doc, operation: 'UNDEPLOY', ref: pkg.app.name }];
  }
  if (pkg.operation === 'ACTIVATE') {
    if (archives.length > 0)
      throw ApiError.of(Errors.receiverUnexpectedArchive, `an ACTIVATE push carries no archive-* part (got ${archives[0].part})`);
    return pkg.records.length ? pkg.records : [{ _doc: pkg._doc, operation: 'ACTIVATE', ref: pkg.activates! }];
  }
  if (archives.length === 0) throw ApiError.of(Errors.receiverNoArchive);
  const byPart = new Map(archives.map((a, i) => [a.part, i]));
  const ordered = pkg.records.map((record, i) => {
    const index = record.archive === undefined ? i : byPart.get(record.archive);
    if (index === undefined || index >= archives.length)
      throw ApiError.of(
        Errors.receiverNoArchive,
        `record ${record._doc} has no archive part${record.archive ? ` named ${record.archive}` : ''}`,
      );
    return { ...record, archive: archives[index].part, index };
  });
  const used = new Set(ordered.map((r) => r.index));
  archives.forEach((a, i) => used.has(i) || ordered.push({ _doc: a.part, operation: 'DEPLOY', ref: a.part, archive: a.part, index: i }));
  // Records are processed in order with archives[i]; reorder the spooled list to match.
  const spooled = ordered.map((r) => archives[r.index]);
  archives.splice(0, archives.length, ...spooled);
  return ordered.map(({ index: _index, ...record }) => record);
}
