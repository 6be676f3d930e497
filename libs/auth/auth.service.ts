import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ApiError, Errors, HttpErrorEntry } from '../errors';
import { LoginAttemptsRepository } from './login-attempts.repository';
import { throttledFor, VerifiedCredentials } from './login-guards';
import { DUMMY_HASH, hashSecret, verifySecret } from './passwords';
import { UserRecord, UsersRepository } from './users.repository';

export interface Principal {
  user: string;
  admin: boolean;
  via: 'password' | 'token';
  /** The API token's name when `via: 'token'` (who caused a release, docs/contract.md#releases). */
  tokenName?: string;
}

export interface AdminBootstrap {
  username: string;
  password?: string;
}
export const ADMIN_BOOTSTRAP = Symbol('ADMIN_BOOTSTRAP');

/** Failed sign-ins allowed per minute before further attempts are refused (429). */
export interface LoginLimits {
  perUser: number;
  perAddress: number;
}
export const LOGIN_LIMITS = Symbol('LOGIN_LIMITS');

const TOKEN_PREFIX = 'dwt_';
/** `dwt_<id>.<secret>` and nothing after it: id and secret as createToken makes them. */
const TOKEN = /^dwt_([0-9a-f]{16})\.([A-Za-z0-9_-]{32})$/;
const USERNAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/i;

/** Who is calling: HTTP Basic with `user:password` or `user:apiToken`. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly verified = new VerifiedCredentials<Principal>();

  constructor(
    private readonly users: UsersRepository,
    private readonly attempts: LoginAttemptsRepository,
    @Inject(LOGIN_LIMITS) private readonly limits: LoginLimits,
  ) {}

  /**
   * API tokens and passwords are guarded differently. A token is high-entropy: guessing one is
   * hopeless, so others' failures never throttle it (else anyone knowing a username could stop
   * that user's webhook deliveries). A password attempt for a throttled user or address is
   * refused without checking, right or wrong, so a guesser never learns when a guess is right.
   */
  async authenticate(
    authorization: string | undefined,
    badCredentials: HttpErrorEntry = Errors.mwAuthUnauthorized,
    address = 'unknown',
  ): Promise<Principal> {
    const credentials = parseBasic(authorization);
    if (!credentials) throw ApiError.of(badCredentials, 'Send HTTP Basic authentication with user:password or user:apiToken.');
    const { username, secret } = credentials;
    if (secret.startsWith(TOKEN_PREFIX)) {
      const remembered = this.verified.get(authorization!);
      if (remembered?.via === 'token') return remembered;
      const principal = await this.verified.shared('token', authorization!, () => this.verifyToken(username, secret));
      if (principal) {
        this.verified.remember(authorization!, principal);
        return principal;
      }
      // Not a live token: checked (and counted) as a password below.
    }
    const keys = [`user:${username}`, `address:${address}`];
    const wait = await this.throttledFor(keys);
    if (wait > 0)
      throw ApiError.of(Errors.mwAuthThrottled, `Too many failed sign-ins; try again in ${wait} s.`, { retryAfterSeconds: wait });
    const remembered = this.verified.get(authorization!);
    if (remembered) return remembered;
    try {
      const principal = await this.verified.shared('password', authorization!, () => this.verifyPassword(username, secret, badCredentials));
      this.verified.remember(authorization!, principal);
      return principal;
    } catch (error) {
      // A failure that could not be counted is not answered either: the guesser learns nothing.
      if (error instanceof ApiError && error.status === 401) await this.store(() => this.attempts.record(keys, Date.now()));
      throw error;
    }
  }

  /**
   * Seconds a password attempt must wait, over the failures of the user and of the address on
   * every gateway (docs/reliability.md#limits-across-gateways); 0 when it may go ahead.
   */
  private async throttledFor([userKey, addressKey]: string[]): Promise<number> {
    const now = Date.now();
    const recent = await this.store(() => this.attempts.recent([userKey, addressKey], now));
    return Math.max(
      throttledFor(recent.get(userKey) ?? [], this.limits.perUser, now),
      throttledFor(recent.get(addressKey) ?? [], this.limits.perAddress, now),
    );
  }

  /** A revoked token must stop working at once: drop every remembered verification. */
  forgetVerified(): void {
    this.verified.forgetAll();
  }

  /**
   * The principal of a live API token of `username`, or null. Every presented token costs the
   * same reads and one scrypt, whether the user, the token id or neither exists, so timing
   * tells nothing about which ids are real.
   */
  private async verifyToken(username: string, presented: string): Promise<Principal | null> {
    const parts = TOKEN.exec(presented);
    const [user, token] = await Promise.all([this.findUser(username), this.store(() => this.users.findToken(parts?.[1] ?? ''))]);
    const live = user !== null && token !== null && token.user === username && !token.revokedAt;
    const valid = await verifySecret(parts?.[2] ?? '', live ? token.secretHash : DUMMY_HASH);
    if (!live || !valid) return null;
    this.users.touchToken(token._id).catch(() => undefined);
    return { user: username, admin: user.admin === true, via: 'token', tokenName: token.name };
  }

  private async verifyPassword(username: string, secret: string, badCredentials: HttpErrorEntry): Promise<Principal> {
    const user = await this.findUser(username);
    const valid = await verifySecret(secret, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !valid) throw ApiError.of(badCredentials, 'That username and password (or API token) do not match our records.');
    return { user: username, admin: user.admin === true, via: 'password' };
  }

  private async findUser(username: string): Promise<UserRecord | null> {
    const user = await this.store(() => this.users.findUser(username));
    if (user && (typeof user.passwordHash !== 'string' || typeof user._id !== 'string')) {
      throw ApiError.of(Errors.mwAuthNoUsername);
    }
    return user;
  }

  private async store<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      this.logger.error(`user store unreachable: ${(error as Error).message}`);
      throw ApiError.of(Errors.mwAuthAuthServerDown);
    }
  }

  /** `:user` in a path must be the caller, unless the caller is an admin. */
  assertMayAct(principal: Principal, user: string): void {
    if (principal.user !== user && !principal.admin) {
      throw ApiError.of(Errors.mwAuthNotYou, `You are signed in as ${principal.user} and cannot act for ${user}.`);
    }
  }

  /** `uuid`: the x-api-uuid of the creating request, stored with the user (docs/contract.md#request-ids-and-versions). */
  async createUser(username: string, password: string, options: { admin?: boolean; uuid?: string } = {}): Promise<boolean> {
    if (!USERNAME.test(username)) throw ApiError.of(Errors.usersBadUsername);
    const record: UserRecord = {
      _id: username,
      usernameKey: username.toLowerCase(),
      passwordHash: await hashSecret(password),
      admin: options.admin ?? false,
      createdAt: new Date(),
    };
    if (options.uuid !== undefined) record.uuid = options.uuid;
    return this.users.createUser(record);
  }

  /** Creates an API token; the secret is returned once and only its hash is kept, with the creating request's uuid. */
  async createToken(user: string, name: string, uuid: string): Promise<{ id: string; token: string; name: string; createdAt: Date }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const createdAt = new Date();
    await this.users.createToken({ _id: id, user, name, secretHash: await hashSecret(secret), createdAt, uuid });
    return { id, token: `${TOKEN_PREFIX}${id}.${secret}`, name, createdAt };
  }
}

export function parseBasic(header: string | undefined): { username: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Creates the configured admin on start-up when it does not exist yet. */
@Injectable()
export class AdminBootstrapService implements OnModuleInit {
  private readonly logger = new Logger('AdminBootstrap');

  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersRepository,
    private readonly attempts: LoginAttemptsRepository,
    @Inject(ADMIN_BOOTSTRAP) private readonly bootstrap: AdminBootstrap,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.users.ensureIndexes();
    await this.attempts.ensureIndexes();
    if (!this.bootstrap.password) return;
    try {
      if (await this.auth.createUser(this.bootstrap.username, this.bootstrap.password, { admin: true })) {
        this.logger.log(`created admin user ${this.bootstrap.username}`);
      }
    } catch (error) {
      this.logger.warn(`admin bootstrap deferred, user store not reachable: ${(error as Error).message}`);
    }
  }
}
