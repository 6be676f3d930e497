import type { Readable } from 'node:stream';

/** The deployment receiver protocol (docs/contract.md#the-deployment-target-protocol): where and how a deployment is pushed. */
export type ArchiveFormat = 'tar.gz' | 'zip';

export interface DeploymentTarget {
  url: string;
  /** May contain `{{id}}` (or `{{ id }}`); without it the remote id is appended as a path segment. */
  statusUrl?: string;
  username?: string;
  password?: string;
  /** Default `tar.gz` (the GitHub tarball as stored); `zip` repacks it with a manifest.json. */
  archiveFormat?: ArchiveFormat;
}

/** `ACTIVATE` makes a release the receiver kept (`retain`) live again, without an archive (docs/contract.md#activate). */
export const OPERATIONS = ['DEPLOY', 'UNDEPLOY', 'ACTIVATE'] as const;
export type Operation = (typeof OPERATIONS)[number];
export const PACKAGE_STATES = ['PENDING', 'PROCESSING', 'SUCCESS', 'ERROR'] as const;
export type PackageState = (typeof PACKAGE_STATES)[number];
export const RECORD_STATES = ['NONE', 'DIRTY', 'PROCESSING', 'FINISHED', 'ERROR'] as const;
export type PackageRecordState = (typeof RECORD_STATES)[number];

/** One record per archive (or per app for UNDEPLOY) inside the package this service sends. */
export interface PackageRecord {
  _doc: string;
  operation: Operation;
  /** What the record deploys, e.g. `<repository>@<commit>`. */
  ref: string;
  /** The multipart part carrying its archive (`archive-<guid>`); without it records and archive parts pair up in order. */
  archive?: string;
}

export interface DeploymentPackage {
  /** The deployment id; receivers use it as the idempotency key. */
  _doc: string;
  operation: Operation;
  /** DEPLOY: keep the app's releases, so an ACTIVATE can make one live again. */
  retain: boolean;
  /** ACTIVATE only: the `_doc` of the earlier DEPLOY of this app whose release goes live. */
  activates?: string;
  app: { name: string; version: string };
  commit: string;
  repository: string;
  /** The app's environment variables. */
  env: Record<string, string>;
  records: PackageRecord[];
}

export interface RecordStatus {
  _doc: string;
  state: PackageRecordState;
  operation: Operation;
  ref: string;
  success: boolean;
  message: string;
}

/** What `GET statusUrl` answers. */
export interface PackageStatus {
  _doc: string;
  state: PackageState;
  operation: Operation;
  retain: boolean;
  records: RecordStatus[];
}

/** An archive to upload: opened lazily, once per attempt, as gzipped tar bytes. */
export interface ArchiveSource {
  /** Names the part `archive-<id>`; a random guid when absent. */
  id?: string;
  open(): Readable;
}

export interface CallOptions {
  /** Idle timeout: no byte sent or received for this long (default 30 s). */
  timeoutMs?: number;
  /** Overall deadline for the whole call, upload included (default none). */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface PushResult {
  remoteId: string;
}

/** The answer to an ACTIVATE push: the receiver's id for it, or why the receiver refused the operation (docs/contract.md#activate). */
export type ActivateResult = PushResult | { refused: string };
