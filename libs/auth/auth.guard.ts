import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { HttpErrorEntry } from '../errors';
import { AuthService, Principal } from './auth.service';

const BAD_CREDENTIALS_CODE = 'auth:badCredentialsCode';

/** Deploy requests answer `deploy:auth:bad_creds` instead of `mw:auth:unauthorized`. */
export const BadCredentialsCode = (entry: HttpErrorEntry) => SetMetadata(BAD_CREDENTIALS_CODE, entry);

interface AuthenticatedRequest {
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  principal?: Principal;
}

/**
 * Every route behind it needs Basic auth; a route with a `:user` path parameter is limited to
 * that user (or an admin).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const code = this.reflector.getAllAndOverride<HttpErrorEntry | undefined>(BAD_CREDENTIALS_CODE, [
      context.getHandler(),
      context.getClass(),
    ]);
    const header = request.headers.authorization;
    request.principal = await this.auth.authenticate(Array.isArray(header) ? header[0] : header, code, request.ip);
    const user = request.params?.user;
    if (user !== undefined) this.auth.assertMayAct(request.principal, user);
    return true;
  }
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().principal!;
});
