import { Inject, Injectable, Optional } from '@nestjs/common';
import { ApiError, Errors } from '../errors';
import { checkQuota, QUOTAS, QuotaLimits } from '../quotas';
import { AuthService, Principal } from './auth.service';
import { UsersRepository } from './users.repository';

export interface TokenView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
}

/** Users and API tokens (docs/contract.md#users-and-api-tokens). Secrets are shown once, at creation, and stored hashed. */
@Injectable()
export class UsersService {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersRepository,
    @Optional() @Inject(QUOTAS) private readonly quotas?: QuotaLimits,
  ) {}

  async create(caller: Principal, username: string, password: string, uuid: string): Promise<{ username: string; admin: boolean }> {
    if (!caller.admin) throw ApiError.of(Errors.mwAuthAdminOnly);
    if (!(await this.auth.createUser(username, password, { uuid }))) {
      throw ApiError.of(
        Errors.usersExists,
        `A user named ${username} exists already (usernames that differ only in the case of their letters are the same name).`,
      );
    }
    return { username, admin: false };
  }

  async createToken(user: string, name: string, uuid: string): Promise<{ id: string; token: string; name: string; createdAt: Date }> {
    await this.mustExist(user);
    if (this.quotas) checkQuota('tokens', user, await this.users.countLiveTokens(user), this.quotas);
    return this.auth.createToken(user, name, uuid);
  }

  async listTokens(user: string): Promise<TokenView[]> {
    await this.mustExist(user);
    const tokens = await this.users.listTokens(user);
    return tokens.map(({ _id, name, createdAt, lastUsedAt, revokedAt }) => ({ id: _id, name, createdAt, lastUsedAt, revokedAt }));
  }

  async revokeToken(user: string, id: string): Promise<void> {
    if (!(await this.users.revokeToken(user, id))) throw ApiError.of(Errors.tokensNotFound, `${user} has no live API token ${id}.`);
    this.auth.forgetVerified();
  }

  private async mustExist(user: string): Promise<void> {
    if (!(await this.users.findUser(user))) throw ApiError.of(Errors.usersNotFound, `No user named ${user}.`);
  }
}
