import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AppRole } from '../apps/roles';
import type { HttpErrorEntry } from '../errors';
import { AppAccess, ReadableApps } from './app-access';
import { AuthService, Principal } from './auth.service';

const BAD_CREDENTIALS_CODE = 'auth:badCredentialsCode';

/** Deploy requests answer `deploy:auth:bad_creds` instead of `mw:auth:unauthorized`. */
export const BadCredentialsCode = (entry: HttpErrorEntry) => SetMetadata(BAD_CREDENTIALS_CODE, entry);

const REQUIRES_ROLE = 'auth:requiresRole';
const LISTS_APPS = 'auth:listsApps';

/** Where the app of a route is: `:user` and the `app` path parameter, or the app of the deployment in the `deployment` one. */
export interface RoleRule {
  role: AppRole;
  /** The path parameter naming the app (default `app`), beside `:user`. */
  app?: string;
  /** The path parameter holding a deployment id: the role is needed on that deployment's app. */
  deployment?: string;
}

/**
 * The role a route needs on the app it names (docs/contract.md#collaborators), e.g.
 * `@RequiresRole('deployer')` under `1/apps/:user/:app`, `@RequiresRole('approver', { deployment: 'id' })`
 * under `1/deployments/:id`. The owner and platform admins pass; a collaborator whose role is
 * too low gets 403 `auth:forbidden`; anyone else 404, as if the app did not exist.
 */
export const RequiresRole = (role: AppRole, where: Omit<RoleRule, 'role'> = {}) => SetMetadata(REQUIRES_ROLE, { role, ...where });

/**
 * A route listing what `:user`'s apps wrote (the status log, the feed): besides the user and
 * admins, a collaborator of some of them may call it and sees those apps only (read them with
 * `@ReadableAppNames()`); anyone else is refused as before (`mw:auth:not_you`).
 */
export const ListsApps = () => SetMetadata(LISTS_APPS, true);

interface AuthenticatedRequest {
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  principal?: Principal;
  readableApps?: ReadableApps;
}

/**
 * Every route behind it needs Basic auth; a route with a `:user` path parameter is limited to
 * that user (or an admin), unless it names the role it needs on an app (RequiresRole) or lists
 * apps (ListsApps): then AppAccess decides.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    private readonly access: AppAccess,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const code = this.reflector.getAllAndOverride<HttpErrorEntry | undefined>(BAD_CREDENTIALS_CODE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const header = request.headers.authorization;
    request.principal = await this.auth.authenticate(Array.isArray(header) ? header[0] : header, code, request.ip);
    await this.authorize(context, request, request.principal);
    return true;
  }

  private async authorize(context: ExecutionContext, request: AuthenticatedRequest, principal: Principal): Promise<void> {
    const targets = [context.getHandler(), context.getClass()];
    const rule = this.reflector.getAllAndOverride<RoleRule | undefined>(REQUIRES_ROLE, targets);
    const params = request.params ?? {};
    const user = params.user;
    if (rule?.deployment !== undefined) return this.access.requireForDeployment(principal, params[rule.deployment], rule.role);
    if (rule) {
      if (user === undefined) throw new Error('RequiresRole on a route with neither :user nor a deployment parameter');
      return this.access.require(principal, user, params[rule.app ?? 'app'], rule.role);
    }
    if (user !== undefined && this.reflector.getAllAndOverride<boolean | undefined>(LISTS_APPS, targets)) {
      const readable = await this.access.readable(principal, user);
      if (readable === null) this.auth.assertMayAct(principal, user);
      request.readableApps = readable ?? 'all';
      return;
    }
    if (user !== undefined) this.auth.assertMayAct(principal, user);
  }
}

/** The apps of `:user` the caller may read, on a ListsApps route: `all`, or the names shared with them. */
export const ReadableAppNames = createParamDecorator((_: unknown, context: ExecutionContext): ReadableApps => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().readableApps ?? 'all';
});

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().principal!;
});
