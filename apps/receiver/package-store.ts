import { Inject, Injectable } from '@nestjs/common';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { printable } from '../../libs/logging/printable';
import { DeploymentPackage, PackageState, PackageStatus, PackageRecordState, RecordStatus } from '../../libs/targets';
import { DEFAULT_PACKAGE_RETENTION_MS, RECEIVER_OPTIONS, ReceiverOptions } from './receiver-options';

export interface Transition<S> {
  state: S;
  at: string;
  message?: string;
}

export interface StoredRecord extends RecordStatus {
  history: Transition<PackageRecordState>[];
}

export interface SpooledArchive {
  part: string;
  file: string;
}

/** A package as the receiver keeps it: the status shape, its history, and what is needed to (re)process it. */
export interface StoredPackage extends Omit<PackageStatus, 'records'> {
  app: DeploymentPackage['app'];
  message: string;
  records: StoredRecord[];
  history: Transition<PackageState>[];
  /** Internal: the package as received and its spooled archives (record i uses archives[i]). */
  pkg: DeploymentPackage;
  archives: SpooledArchive[];
  uploadDir: string;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Package states as one JSON file each in `<stateDir>/packages`, written atomically (temp file
 * + rename) so a crash never leaves half a state. After `close()` writes are dropped: an
 * abandoned instance (a simulated crash, a shut-down app) can never overwrite its successor.
 */
@Injectable()
export class PackageStore {
  private readonly packages = new Map<string, StoredPackage>();
  private readonly dir: string;
  private readonly retentionMs: number;
  private closed = false;
  private prunedAt = 0;

  constructor(@Inject(RECEIVER_OPTIONS) options: ReceiverOptions) {
    this.dir = join(options.stateDir, 'packages');
    this.retentionMs = options.packageRetentionMs ?? DEFAULT_PACKAGE_RETENTION_MS;
  }

  /**
   * Forgets packages that ended (SUCCESS or ERROR) more than the retention ago, in memory and
   * on disk: otherwise every package ever received stays in both. A `_doc` pushed again after
   * that would be processed again; the worker retries an upload for hours at most, not days.
   */
  async prune(now = Date.now()): Promise<number> {
    this.prunedAt = now;
    if (this.retentionMs <= 0) return 0;
    let pruned = 0;
    for (const stored of [...this.packages.values()]) {
      const endedAt = Date.parse(stored.history.at(-1)?.at ?? '');
      if ((stored.state !== 'SUCCESS' && stored.state !== 'ERROR') || !(now - endedAt > this.retentionMs)) continue;
      this.packages.delete(stored._doc);
      if (!this.closed) await rm(join(this.dir, `${stored._doc}.json`), { force: true });
      pruned += 1;
    }
    return pruned;
  }

  async load(): Promise<StoredPackage[]> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 }); // packages carry the app's env: its owner's eyes only
    for (const file of await readdir(this.dir)) {
      if (!file.endsWith('.json')) continue;
      const stored = JSON.parse(await readFile(join(this.dir, file), 'utf8')) as StoredPackage;
      this.packages.set(stored._doc, stored);
    }
    return [...this.packages.values()];
  }

  close(): void {
    this.closed = true;
  }

  all(): StoredPackage[] {
    return [...this.packages.values()];
  }

  get(id: string): StoredPackage | undefined {
    return this.packages.get(id);
  }

  async create(stored: StoredPackage): Promise<void> {
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) await this.prune();
    this.packages.set(stored._doc, stored);
    await this.save(stored);
  }

  /** A note that is not a transition (why a PENDING package waits): the message changes, the history does not. */
  async note(stored: StoredPackage, message: string): Promise<void> {
    stored.message = printable(message);
    await this.save(stored);
  }

  /** Messages are escaped here, once for every reader: they quote outside text (entry and part names). */
  async setPackageState(stored: StoredPackage, state: PackageState, message = ''): Promise<void> {
    message = printable(message);
    stored.state = state;
    stored.message = message;
    stored.history.push({ state, at: new Date().toISOString(), ...(message ? { message } : {}) });
    await this.save(stored);
  }

  async setRecordState(stored: StoredPackage, index: number, state: PackageRecordState, message = ''): Promise<void> {
    message = printable(message);
    const record = stored.records[index];
    record.state = state;
    record.message = message;
    record.success = state === 'FINISHED';
    record.history.push({ state, at: new Date().toISOString(), ...(message ? { message } : {}) });
    await this.save(stored);
  }

  private async save(stored: StoredPackage): Promise<void> {
    if (this.closed) return;
    const file = join(this.dir, `${stored._doc}.json`);
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, JSON.stringify(stored, null, 2), { mode: 0o600 });
    await rename(temp, file);
  }
}

/** What `GET /status/:id` answers: the status shape plus histories, without internals. */
export function publicView(stored: StoredPackage): Omit<StoredPackage, 'pkg' | 'archives' | 'uploadDir'> {
  const { pkg: _pkg, archives: _archives, uploadDir: _uploadDir, ...view } = stored;
  return view;
}
