import { Injectable } from '@nestjs/common';
import { ChangeStream, Collection, Db, Filter } from 'mongodb';
import { canonicalRepository, escapeRegExp, repositorySpellingsPattern } from '../github/names';
import { createIndexes, IndexCreationError, InjectDb, isDuplicateKey } from '../persistence';
import type { AppRole, Collaborator } from './roles';
import type { AppHolds } from './approval-rule';
import type { HealthCheck } from './health-check';

/** An app as stored: secrets (target password, webhook secret, env) sealed with SecretBox. */
export interface AppRecord extends AppHolds {
  _id: string; // `${user}/${name}`
  user: string;
  name: string;
  repository: string;
  /** repositoryKey(user, repository): finds the user's apps of a repository; absent on apps stored before it. */
  repositoryKey?: string;
  branch?: string;
  /** Tags matching this glob deploy (docs/contract.md#triggers); absent: pushes to the deploy branch do. */
  deployTags?: string;
  /** Globs of paths: a push deploys only when it changed a matching file; absent: every push. */
  paths?: string[];
  target?: { url: string; statusUrl?: string; username?: string; sealedPassword?: string; archiveFormat?: 'tar.gz' | 'zip' };
  sealedWebhookSecret?: string;
  sealedEnv?: string;
  retain: boolean;
  ci: 'auto' | 'travis' | 'github' | 'none';
  /** GitHub check run names / status contexts the CI gate waits for (all of them when absent). */
  requiredChecks?: string[];
  /** How long a deployment waits for CI, e.g. `45m`; absent: TRAVIS_WAIT_TIMEOUT. */
  ciTimeout?: string;
  /** GitHub deployment environment; absent: the app's name. */
  environment?: string;
  /** The deployed app's URL (the GitHub deployment's environment_url). */
  url?: string;
  /** `required`: Travis notifications must carry a verified Signature; absent: `auto`. */
  travisSignature?: 'auto' | 'required';
  /** Checked after each deployment's cut-over (docs/contract.md#verified-releases); absent: no bake. */
  healthCheck?: HealthCheck;
  lastDeployment?: string;
  /** Set by a rollback (docs/contract.md#rollback-and-the-lock): pushes are ignored until POST …/unlock. */
  lock?: AppLock;
  /** Other users and their roles on the app (libs/apps/roles.ts); the owner is admin without an entry. */
  collaborators?: CollaboratorEntry[];
  /** setCollaborators's compare-and-set: +1 per change of the collaborators; absent before the first. */
  collaboratorsRevision?: number;
  /** Who added, changed or removed whom, and when: the newest COLLABORATOR_CHANGES_KEPT, oldest first. */
  collaboratorChanges?: CollaboratorChange[];
  /** Preview apps of pull requests (docs/contract.md#preview-apps); the target's password and the env sealed. */
  previews?: PreviewsSetting;
  /** Set on a preview app: its parent app and pull request (docs/contract.md#preview-apps). */
  previewOf?: { app: string; pr: number };
  createdAt: Date;
  updatedAt: Date;
  uuid?: string; // x-api-uuid of the last request that wrote it (PUT, PATCH …/env)
  revision?: number; // 1 on creation, +1 per PUT or PATCH …/env; absent on apps stored before revisions
}

/** A collaborator as stored: who gave them their role, and when (docs/contract.md#collaborators). */
export interface CollaboratorEntry extends Collaborator {
  by?: string;
  at?: Date;
}

/** One change of an app's collaborators, kept in its record. */
export interface CollaboratorChange {
  action: 'added' | 'changed' | 'removed';
  user: string;
  /** The role given; absent for a removal. */
  role?: AppRole;
  by: string;
  at: Date;
  uuid?: string;
}

/** Changes of its collaborators an app's record keeps, the newest. */
export const COLLABORATOR_CHANGES_KEPT = 100;

export interface PreviewsSetting {
  enabled: boolean;
  target?: { url: string; statusUrl?: string; username?: string; sealedPassword?: string; archiveFormat?: 'tar.gz' | 'zip' };
  url?: string;
  sealedEnv?: string;
  ttl?: string;
  max?: number;
  forks?: 'approve' | 'never';
}

export interface AppLock {
  /** The release rolled back to, and the deployment that does it. */
  release: number;
  deployment: string;
  by: string;
  at: Date;
}

/**
 * The key of a user's repository, as GitHub compares names: case-insensitively and without a
 * trailing `.git` or `.` (canonicalRepository). Apps stored before the suffixes were stripped
 * keep their old key; findByRepository finds them too. The user is part of it so one sparse
 * single-field index serves the lookup (apps stored without the key stay out of it).
 */
export const repositoryKey = (user: string, repository: string) => `${user}/${canonicalRepository(repository)}`;

@Injectable()
export class AppsRepository {
  private readonly apps: Collection<AppRecord>;

  private readonly listeners: Array<(user: string) => void> = [];

  constructor(@InjectDb() db: Db) {
    this.apps = db.collection<AppRecord>('apps');
  }

  /**
   * Several apps of a user may deploy one repository (docs/contract.md#several-apps-per-repository): the repositoryKey
   * index, unique while a repository had one app, is replaced by a plain one.
   */
  async ensureIndexes(): Promise<void> {
    await createIndexes(this.apps, [[{ user: 1, repository: 1 }]]);
    const existing = await this.apps.indexes().catch(() => []);
    if (existing.some((index) => index.name === 'repositoryKey_1' && index.unique))
      await this.apps.dropIndex('repositoryKey_1').catch((error) => {
        throw new IndexCreationError('apps', { repositoryKey: 1 }, error);
      });
    await createIndexes(this.apps, [[{ repositoryKey: 1 }, { sparse: true }]]);
    // The apps shared with a user (docs/contract.md#collaborators).
    await createIndexes(this.apps, [[{ 'collaborators.user': 1 }, { sparse: true }]]);
  }

  find(user: string, name: string): Promise<AppRecord | null> {
    return this.apps.findOne({ _id: `${user}/${name}` });
  }

  /**
   * The user's first app for `repository` in GitHub's canonical form (any case, with or without a
   * trailing `.git` or `.`). The key is matched as a pattern because apps stored before canonical
   * keys hold their spelling's lower case (an anchored prefix: the index still serves it); apps
   * stored without a repositoryKey are compared by their repository.
   */
  findByRepository(user: string, repository: string): Promise<AppRecord | null> {
    return this.apps.findOne(this.repositoryFilter(user, repository), { sort: { createdAt: 1, _id: 1 } });
  }

  /** All the user's apps of `repository`, the first configured first (docs/contract.md#several-apps-per-repository). */
  allByRepository(user: string, repository: string): Promise<AppRecord[]> {
    return this.apps.find(this.repositoryFilter(user, repository)).sort({ createdAt: 1, _id: 1 }).limit(100).toArray();
  }

  private repositoryFilter(user: string, repository: string): Filter<AppRecord> {
    const spellings = repositorySpellingsPattern(repository);
    const legacy = { user, repositoryKey: { $exists: false }, repository: { $regex: `^${spellings}$`, $options: 'i' } };
    return { $or: [{ repositoryKey: { $regex: `^${escapeRegExp(user)}/${spellings}$` } }, legacy] };
  }

  /** How many apps the user has (APPS_MAX_PER_USER); the `{user, repository}` index serves it. */
  countForUser(user: string): Promise<number> {
    // Preview apps are bounded by their parent's previews.max instead (docs/contract.md#preview-apps).
    return this.apps.countDocuments({ user, previewOf: { $exists: false } });
  }

  /** Every app of the user (the intake's in-memory configuration, AppConfigCache). */
  listForUser(user: string): Promise<AppRecord[]> {
    return this.apps.find({ user }).toArray();
  }

  /** Apps other users shared with `user` (of `owner` alone when given), at most `limit`, by id. */
  sharedWith(user: string, limit: number, owner?: string): Promise<AppRecord[]> {
    const filter: Filter<AppRecord> = { 'collaborators.user': user, ...(owner === undefined ? {} : { user: owner }) };
    return this.apps.find(filter).sort({ _id: 1 }).limit(limit).toArray();
  }

  /**
   * Writes the app's collaborators and its log of their changes if they are still at
   * `expected` (compare-and-set on collaboratorsRevision, 0: never changed); false when another
   * write came first or the app is gone. Neither a PUT of the app nor its revision is touched.
   */
  async setCollaborators(
    user: string,
    name: string,
    expected: number,
    collaborators: CollaboratorEntry[],
    changes: CollaboratorChange[],
  ): Promise<boolean> {
    const _id = `${user}/${name}`;
    const filter = expected === 0 ? { _id, collaboratorsRevision: { $exists: false } } : { _id, collaboratorsRevision: expected };
    const update = { $set: { collaborators, collaboratorChanges: changes, collaboratorsRevision: expected + 1 } };
    return (await this.writing(user, () => this.apps.updateOne(filter, update))).matchedCount === 1;
  }

  /** Changes to any app (insert, update, replace, delete), for AppConfigCache; opened on the server at its first read. */
  watchChanges(): ChangeStream<AppRecord> {
    return this.apps.watch<AppRecord>([], { fullDocument: 'default' });
  }

  /**
   * Writes the app's configuration if it is still at revision `expected` (compare-and-set:
   * null when the app did not exist, 0 when it was stored before revisions); false when another
   * write came first. An absent optional field is removed, never stored as null (the driver
   * stores undefined as null). `lastDeployment` is setLastDeployment's alone, so a PUT racing a
   * deployment cannot undo it; `lock` is lock's and unlock's alone, likewise; the collaborators
   * are setCollaborators's alone.
   */
  async save(record: AppRecord, expected: number | null): Promise<boolean> {
    return this.writing(record.user, () => this.saveNow(record, expected));
  }

  private async saveNow(record: AppRecord, expected: number | null): Promise<boolean> {
    const {
      _id,
      createdAt,
      lastDeployment: _lastDeployment,
      lock: _lock,
      collaborators: _collaborators,
      collaboratorsRevision: _collaboratorsRevision,
      collaboratorChanges: _collaboratorChanges,
      ...fields
    } = record;
    if (expected === null) {
      try {
        await this.apps.insertOne({ _id, createdAt, ...(present(fields) as Omit<AppRecord, '_id' | 'createdAt'>) });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    }
    const $set: Record<string, unknown> = {};
    const $unset: Record<string, ''> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (value == null) $unset[key] = '';
      else $set[key] = isPlainObject(value) ? withoutAbsent(value) : value;
    }
    const update = Object.keys($unset).length > 0 ? { $set, $unset } : { $set };
    const filter = expected === 0 ? { _id, revision: { $exists: false } } : { _id, revision: expected };
    try {
      return (await this.apps.updateOne(filter, update)).matchedCount === 1;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async setLastDeployment(user: string, name: string, deployment: string): Promise<void> {
    await this.writing(user, () => this.apps.updateOne({ _id: `${user}/${name}` }, { $set: { lastDeployment: deployment } }));
  }

  /** Locks the app after a rollback; false when it has no such app. */
  async lock(user: string, name: string, lock: AppLock): Promise<boolean> {
    return (await this.writing(user, () => this.apps.updateOne({ _id: `${user}/${name}` }, { $set: { lock } }))).matchedCount === 1;
  }

  /** Unlocks the app; with `deployment`, only the lock that deployment set (a rollback that could not start takes its lock back). */
  async unlock(user: string, name: string, deployment?: string): Promise<void> {
    await this.writing(user, () =>
      this.apps.updateOne({ _id: `${user}/${name}`, ...(deployment ? { 'lock.deployment': deployment } : {}) }, { $unset: { lock: '' } }),
    );
  }

  /** Removes the app; with `version`, only that app (created then) still at that revision (0: stored before revisions). */
  async remove(user: string, name: string, version?: { createdAt: number; revision: number }): Promise<boolean> {
    const _id = `${user}/${name}`;
    const revision = version && (version.revision === 0 ? { revision: { $exists: false } } : { revision: version.revision });
    const filter = version ? { _id, createdAt: new Date(version.createdAt), ...revision } : { _id };
    return (await this.writing(user, () => this.apps.deleteOne(filter))).deletedCount === 1;
  }

  /** `listener(user)` after every write to one of the user's apps made through this repository (AppConfigCache). */
  onWrite(listener: (user: string) => void): void {
    this.listeners.push(listener);
  }

  private async writing<T>(user: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      for (const listener of this.listeners) listener(user); // failed ones too: the write may have landed
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** Fields as inserted: without the absent ones, nested objects (the target) without their absent keys. */
function present(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, value]) => value != null)
      .map(([key, value]) => [key, isPlainObject(value) ? withoutAbsent(value) : value]),
  );
}

/** An object without its undefined or null keys. */
function withoutAbsent(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field != null));
}

/** allByRepository's answer, in memory: the user's apps whose key (or legacy spelling) is the repository's, the first configured first. */
export function appsForRepository(records: AppRecord[], user: string, repository: string): AppRecord[] {
  const spellings = repositorySpellingsPattern(repository);
  const keyed = new RegExp(`^${escapeRegExp(user)}/${spellings}$`);
  const legacy = new RegExp(`^${spellings}$`, 'i');
  return records
    .filter((r) =>
      r.repositoryKey !== undefined && r.repositoryKey !== null
        ? keyed.test(r.repositoryKey)
        : r.user === user && legacy.test(r.repository),
    )
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
    .slice(0, 100);
}
