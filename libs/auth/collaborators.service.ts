import { Injectable, Logger } from '@nestjs/common';
import {
  APP_ROLES,
  AppRecord,
  AppRole,
  AppsRepository,
  COLLABORATOR_CHANGES_KEPT,
  CollaboratorChange,
  CollaboratorEntry,
  roleOf,
} from '../apps';
import { ApiError, Errors, storeCall } from '../errors';
import type { Principal } from './auth.service';
import { SHARED_APPS_READ } from './app-access';
import { UsersRepository } from './users.repository';

/** Collaborators one app may have (docs/contract.md#collaborators). */
export const COLLABORATORS_MAX = 50;

/**
 * Attempts of a compare-and-set write of the collaborators before answering `apps:conflict`: each
 * round lets one of the writers through, so n writers at once need up to n rounds (10 let one of
 * eight concurrent removals answer 409 on a loaded machine).
 */
const WRITE_ATTEMPTS = 30;
const RETRY_DELAY_MS = 20;

export interface CollaboratorView {
  user: string;
  role: AppRole;
  /** Who gave the role, and when (absent on entries stored without). */
  by?: string;
  at?: string;
}

export interface CollaboratorsView {
  owner: string;
  app: string;
  collaborators: CollaboratorView[];
  max: number;
  /** Who added, changed or removed whom, and when: the newest changes, oldest first. */
  changes: Array<{ action: CollaboratorChange['action']; user: string; role?: AppRole; by: string; at: string }>;
}

/** An app the caller may read, with their role on it. */
export interface ReadableAppView {
  user: string;
  name: string;
  role: AppRole;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Who may do what to an app besides its owner (docs/contract.md#collaborators): listing, giving and taking roles. */
@Injectable()
export class CollaboratorsService {
  private readonly logger = new Logger(CollaboratorsService.name);

  constructor(
    private readonly apps: AppsRepository,
    private readonly users: UsersRepository,
  ) {}

  async list(owner: string, name: string): Promise<CollaboratorsView> {
    return view(await this.find(owner, name));
  }

  /** Gives `user` the role `role` on the app (adding them, or changing their role). */
  async put(caller: Principal, owner: string, name: string, user: string, role: unknown, uuid: string): Promise<CollaboratorView> {
    if (typeof role !== 'string' || !(APP_ROLES as readonly string[]).includes(role))
      throw ApiError.of(Errors.appsCollaboratorsBadRole, `role must be one of ${APP_ROLES.join(', ')}.`);
    if (user === owner) throw ApiError.of(Errors.appsCollaboratorsOwner, `${owner} owns ${name} and is its admin already.`);
    const known = await this.read(() => this.users.findUser(user));
    if (!known) throw ApiError.of(Errors.appsCollaboratorsUnknownUser, `There is no user named ${user}.`);
    const entry: CollaboratorEntry = { user, role: role as AppRole, by: caller.user, at: new Date() };
    const written = await this.write(owner, name, (existing) => {
      const current = existing.collaborators ?? [];
      const adding = !current.some((c) => c.user === user);
      if (adding && current.length >= COLLABORATORS_MAX)
        throw ApiError.of(Errors.appsCollaboratorsTooMany, `${owner}/${name} has ${current.length} collaborators, as many as one app may.`);
      const collaborators = adding ? [...current, entry] : current.map((c) => (c.user === user ? entry : c));
      return {
        collaborators,
        change: { action: adding ? 'added' : 'changed', user, role: entry.role, by: caller.user, at: entry.at!, uuid },
      };
    });
    return collaboratorView(written.collaborators!.find((c) => c.user === user)!);
  }

  /** Takes the user's role on the app away. */
  async remove(caller: Principal, owner: string, name: string, user: string, uuid: string): Promise<void> {
    await this.write(owner, name, (existing) => {
      if (roleOf({ user: owner, collaborators: existing.collaborators }, user) === undefined || user === owner)
        throw ApiError.of(Errors.appsCollaboratorsNotFound, `${user} is not a collaborator of ${owner}/${name}.`);
      const collaborators = (existing.collaborators ?? []).filter((c) => c.user !== user);
      return { collaborators, change: { action: 'removed', user, by: caller.user, at: new Date(), uuid } };
    });
  }

  /** The apps the caller may read: their own, then those shared with them (docs/contract.md#collaborators). */
  async readableApps(caller: Principal): Promise<{ apps: ReadableAppView[] }> {
    const [own, shared] = await Promise.all([
      this.read(() => this.apps.listForUser(caller.user)),
      this.read(() => this.apps.sharedWith(caller.user, SHARED_APPS_READ)),
    ]);
    const apps = [...own.sort((a, b) => (a.name < b.name ? -1 : 1)), ...shared]
      .map((app) => ({ user: app.user, name: app.name, role: roleOf(app, caller.user) }))
      .filter((app): app is ReadableAppView => app.role !== undefined);
    return { apps };
  }

  private async find(owner: string, name: string): Promise<AppRecord> {
    const record = await this.read(() => this.apps.find(owner, name));
    if (!record) throw ApiError.of(Errors.appsNotFound, `${owner} has no app named ${name}.`);
    return record;
  }

  /**
   * Read, compute, write only if nobody changed the collaborators in between (compare-and-set),
   * so concurrent changes never lose each other; on a conflict, again with a fresh read.
   */
  private async write(
    owner: string,
    name: string,
    next: (existing: AppRecord) => { collaborators: CollaboratorEntry[]; change: CollaboratorChange },
  ): Promise<AppRecord> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt += 1) {
      const existing = await this.find(owner, name);
      const { collaborators, change } = next(existing);
      const changes = [...(existing.collaboratorChanges ?? []), change].slice(-COLLABORATOR_CHANGES_KEPT);
      const expected = existing.collaboratorsRevision ?? 0;
      if (await this.read(() => this.apps.setCollaborators(owner, name, expected, collaborators, changes)))
        return { ...existing, collaborators, collaboratorChanges: changes, collaboratorsRevision: expected + 1 };
      if (attempt < WRITE_ATTEMPTS) await sleep(Math.random() * RETRY_DELAY_MS * attempt);
    }
    throw ApiError.of(
      Errors.appsConflict,
      `The collaborators of ${owner}/${name} were being changed by other requests at the same time; retry.`,
    );
  }

  private read<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.appsDbFailed, operation, { logger: this.logger, log: 'apps store failed' });
  }
}

function collaboratorView(entry: CollaboratorEntry): CollaboratorView {
  return { user: entry.user, role: entry.role, by: entry.by, at: entry.at?.toISOString() };
}

function view(record: AppRecord): CollaboratorsView {
  return {
    owner: record.user,
    app: record.name,
    collaborators: (record.collaborators ?? []).map(collaboratorView),
    max: COLLABORATORS_MAX,
    changes: (record.collaboratorChanges ?? []).map(({ action, user, role, by, at }) => ({ action, user, role, by, at: at.toISOString() })),
  };
}
