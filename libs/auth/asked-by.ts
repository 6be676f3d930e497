import type { Principal } from './auth.service';

/** Who asked for a deployment, as its release records it (docs/contract.md#releases): the user, or `token:<name>`. */
export function askedBy(principal: Principal): string {
  return principal.via === 'token' && principal.tokenName ? `token:${principal.tokenName}` : principal.user;
}
