import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { allows, AppRecord, AppRole, AppsRepository, roleOf } from '../apps';
import { ApiError, Errors, HttpErrorEntry, storeCall } from '../errors';

/** Who is asking (a Principal): the user, and whether a platform admin. */
export interface Caller {
  user: string;
  admin: boolean;
}

/** Finds the app of a deployment by its id; the deployments library provides it (DeploymentsRepository). */
export interface DeploymentApps {
  findById(id: string): Promise<{ user: string; app?: string } | null>;
}
export const DEPLOYMENT_APPS = Symbol('DEPLOYMENT_APPS');

/** Apps of one owner a caller may read: `all` for the owner and platform admins, else the names shared with them. */
export type ReadableApps = 'all' | string[];

/** Apps shared with one user that a list or a feed considers, at most. */
export const SHARED_APPS_READ = 500;

/**
 * The one place that decides who may do what to an app (docs/contract.md#collaborators). The
 * owner and platform admins may do everything (the endpoint then answers as it always did);
 * a collaborator what their role allows, else 403 `auth:forbidden`; anyone else is told the app
 * does not exist (404), whether it does or not.
 */
@Injectable()
export class AppAccess {
  private readonly logger = new Logger(AppAccess.name);

  constructor(
    private readonly apps: AppsRepository,
    @Optional() @Inject(DEPLOYMENT_APPS) private readonly deployments?: DeploymentApps,
  ) {}

  /** `caller` may do what `needed` allows to `owner`'s app `name`; throws 404 (`notFound`) or 403 otherwise. */
  async require(
    caller: Caller,
    owner: string,
    name: string,
    needed: AppRole,
    notFound: HttpErrorEntry = Errors.appsNotFound,
  ): Promise<void> {
    if (caller.admin || caller.user === owner) return;
    const record = await this.read(() => this.apps.find(owner, name));
    this.decide(caller, record, needed, notFound, `${owner} has no app named ${name}.`);
  }

  /** Like require, for the app of deployment `id`; a deployment of no app is its owner's alone. */
  async requireForDeployment(caller: Caller, id: string, needed: AppRole): Promise<void> {
    if (caller.admin) return;
    if (!this.deployments) throw new Error('AppAccess: no DEPLOYMENT_APPS provider to find deployments by id');
    const deployments = this.deployments;
    const deployment = await storeCall(Errors.deploymentsDbFailed, () => deployments.findById(id));
    if (deployment?.user === caller.user) return;
    const record = deployment?.app ? await this.read(() => this.apps.find(deployment.user, deployment.app!)) : null;
    this.decide(caller, record, needed, Errors.deploymentsNotFound, `No deployment ${id}.`);
  }

  /** The apps of `owner` that `caller` may read; null when none (the caller is neither owner nor collaborator). */
  async readable(caller: Caller, owner: string): Promise<ReadableApps | null> {
    if (caller.admin || caller.user === owner) return 'all';
    const shared = await this.read(() => this.apps.sharedWith(caller.user, SHARED_APPS_READ, owner));
    const names = shared.filter((app) => allows(roleOf(app, caller.user), 'viewer')).map((app) => app.name);
    return names.length > 0 ? names : null;
  }

  /** What the caller's role on an app allows, or the error to answer: 404 when they have none, 403 when it is too low. */
  private decide(caller: Caller, record: AppRecord | null, needed: AppRole, notFound: HttpErrorEntry, absent: string): void {
    const role = record ? roleOf(record, caller.user) : undefined;
    if (role === undefined) throw ApiError.of(notFound, absent);
    if (!allows(role, needed))
      throw ApiError.of(Errors.authForbidden, `Your role on ${record!.user}/${record!.name} is ${role}; this needs ${needed} or above.`);
  }

  private read<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.appsDbFailed, operation, { logger: this.logger, log: 'apps store failed' });
  }
}
