import { Inject, Injectable } from '@nestjs/common';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { printable } from '../../libs/logging/printable';
import { DeploymentPackage, PackageState, PackageStatus, RecordState, RecordStatus } from '../../libs/targets';
import { RECEIVER_OPTIONS, ReceiverOptions } from './receiver-options';

export interface Transition<S> {
  state: S;
  at: string;
  message?: string;
}

export interface StoredRecord extends RecordStatus {
  history: Transition<RecordState>[];
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

/**
 * Package states as one JSON file each in `<stateDir>/packages`, written atomically (temp file
 * + rename) so a crash never leaves half a state. After `close()` writes are dropped: an
 * abandoned instance (a simulated crash, a shut-down app) can never overwrite its successor.
 */
@Injectable()
export class PackageStore {
  private readonly packages = new Map<string, StoredPackage>();
  private readonly dir: string;
  private closed = false;

  constructor(@Inject(RECEIVER_OPTIONS) options: ReceiverOptions) {
    this.dir = join(options.stateDir, 'packages');
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

  get(id: string): StoredPackage | undefined {
    return this.packages.get(id);
  }

  async create(stored: StoredPackage): Promise<void> {
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

  async setRecordState(stored: StoredPackage, index: number, state: RecordState, message = ''): Promise<void> {
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
