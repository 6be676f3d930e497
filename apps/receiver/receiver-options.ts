import type { DeploymentPackage, PackageRecord } from '../../libs/targets';
import type { EntryHeader } from '../../libs/tarballs/safety';
import { Env, Settings } from '../../libs/config/settings';
import { DEFAULT_RELEASES_KEPT } from './releases';

/** Custom work around a deployment; any hook that throws turns the package to ERROR with its message. */
export interface ReceiverHooks {
  before?(pkg: DeploymentPackage): Promise<void>;
  /**
   * After a record's archive is extracted (dir: the staging directory); for UNDEPLOY, before removal (dir: the app
   * directory); for ACTIVATE, before the switch (dir: the kept release's directory).
   */
  execute?(pkg: DeploymentPackage, record: PackageRecord, dir: string): Promise<void>;
  /** Every archive entry that passed the safety rules, before it is written. */
  entry?(pkg: DeploymentPackage, header: EntryHeader): Promise<void>;
  /** After the release went live (DEPLOY, ACTIVATE) or the app was removed. */
  after?(pkg: DeploymentPackage): Promise<void>;
}

export interface ReceiverOptions {
  /** Apps are extracted into `<deployDir>/<app name>/`. */
  deployDir: string;
  /** Package states (JSON), spooled uploads. */
  stateDir: string;
  username?: string;
  password?: string;
  /** Largest single archive part. */
  maxArchiveBytes: number;
  /** Most entries over all archives of a package. */
  maxEntries: number;
  /** Largest request body, all parts together. */
  bodyLimitBytes: number;
  /** Largest extracted size of a package; default DEFAULT_MAX_EXTRACTED_BYTES. */
  maxExtractedBytes?: number;
  /** Largest `package` part (the deployment package JSON); default 1 MiB. */
  maxPackageBytes?: number;
  /** Most bytes a package may extract per byte of its archives; default 100 (gzip bombs reach 1000). */
  maxCompressionRatio?: number;
  /** Packages extracting at once; the others wait PENDING. Default 2. */
  maxConcurrentExtractions?: number;
  /** Free space kept on the deploy directory's disk: a package does not extract into it. Default 256 MiB. */
  minFreeDiskBytes?: number;
  /** Leading components stripped from entries; default 1 (GitHub's `owner-repo-sha/`). */
  stripComponents?: number;
  hooks?: ReceiverHooks;
  /** How long a package that ended (SUCCESS/ERROR) is remembered, in memory and on disk; default 7 days, 0: for ever. */
  packageRetentionMs?: number;
  /** Releases kept per app deployed with `retain` (docs/contract.md#activate), the live one included; default 5. */
  releasesKept?: number;
  /** How long closing the app waits for packages in progress before abandoning them (default 10 s). */
  shutdownGraceMs?: number;
}

export const RECEIVER_OPTIONS = Symbol('RECEIVER_OPTIONS');

export const DEFAULT_MAX_EXTRACTED_BYTES = 4 * 1024 * 1024 * 1024;
export const DEFAULT_MAX_PACKAGE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_COMPRESSION_RATIO = 100;
export const DEFAULT_MAX_CONCURRENT_EXTRACTIONS = 2;
export const DEFAULT_MIN_FREE_DISK_BYTES = 256 * 1024 * 1024;
export const DEFAULT_PACKAGE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface ReceiverSettings {
  host: string;
  port: number;
  options: ReceiverOptions;
}

/** Reads RECEIVER_* variables; a bad one throws a ConfigError naming it. */
export function loadReceiverSettings(env: Env = process.env): ReceiverSettings {
  const s = new Settings(env);
  const maxArchiveBytes = s.int('RECEIVER_MAX_ARCHIVE_BYTES', 2 * 1024 * 1024 * 1024, { min: 1 });
  return {
    host: s.string('RECEIVER_HOST', '127.0.0.1'),
    port: s.port('RECEIVER_PORT', 3100),
    options: {
      deployDir: s.string('RECEIVER_DEPLOY_DIR', '.stack/receiver/deploy'),
      stateDir: s.string('RECEIVER_STATE_DIR', '.stack/receiver/state'),
      username: s.optionalString('RECEIVER_USERNAME'),
      password: s.optionalString('RECEIVER_PASSWORD'),
      maxArchiveBytes,
      maxEntries: s.int('RECEIVER_MAX_ENTRIES', 100_000, { min: 1 }),
      bodyLimitBytes: s.int('RECEIVER_BODY_LIMIT_BYTES', maxArchiveBytes + 1024 * 1024, { min: 1024 }),
      maxExtractedBytes: s.int('RECEIVER_MAX_EXTRACTED_BYTES', DEFAULT_MAX_EXTRACTED_BYTES, { min: 1 }),
      maxPackageBytes: s.int('RECEIVER_MAX_PACKAGE_BYTES', DEFAULT_MAX_PACKAGE_BYTES, { min: 1024 }),
      maxCompressionRatio: s.int('RECEIVER_MAX_COMPRESSION_RATIO', DEFAULT_MAX_COMPRESSION_RATIO, { min: 1 }),
      maxConcurrentExtractions: s.int('RECEIVER_MAX_CONCURRENT_EXTRACTIONS', DEFAULT_MAX_CONCURRENT_EXTRACTIONS, { min: 1 }),
      minFreeDiskBytes: s.int('RECEIVER_MIN_FREE_DISK_BYTES', DEFAULT_MIN_FREE_DISK_BYTES, { min: 0 }),
      releasesKept: s.int('RECEIVER_RELEASES_KEPT', DEFAULT_RELEASES_KEPT, { min: 1 }),
      packageRetentionMs: s.durationMs('RECEIVER_PACKAGE_RETENTION', '7d'),
    },
  };
}
