import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { escapeRegExp } from '../github/names';
import { createIndexes, InjectDb, isDuplicateKey } from '../persistence';

export interface UserRecord {
  _id: string; // the username
  /** The username in lower case, unique: `Alice` and `alice` are one name. Absent on users stored before it. */
  usernameKey?: string;
  passwordHash: string;
  admin: boolean;
  createdAt: Date;
  uuid?: string; // x-api-uuid of the request that created it; none for the admin bootstrapped at start-up
}

export interface ApiTokenRecord {
  _id: string; // public token id, the part before the secret
  user: string;
  name: string;
  secretHash: string;
  createdAt: Date;
  uuid?: string; // x-api-uuid of the request that created it
  lastUsedAt?: Date;
  revokedAt?: Date;
}

@Injectable()
export class UsersRepository {
  private readonly users: Collection<UserRecord>;
  private readonly tokens: Collection<ApiTokenRecord>;

  constructor(@InjectDb() db: Db) {
    this.users = db.collection<UserRecord>('users');
    this.tokens = db.collection<ApiTokenRecord>('api_tokens');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexes(this.tokens, [[{ user: 1, createdAt: -1 }]]);
    await createIndexes(this.users, [[{ usernameKey: 1 }, { unique: true, sparse: true }]]);
  }

  findUser(username: string): Promise<UserRecord | null> {
    return this.users.findOne({ _id: username });
  }

  /**
   * Inserts the user; false when one by that name, in any case, exists already. The unique
   * usernameKey settles concurrent creations; the read finds users stored before it (two
   * such users differing in case both keep working, and no third spelling is added).
   */
  async createUser(user: UserRecord): Promise<boolean> {
    if (await this.users.findOne({ _id: { $regex: `^${escapeRegExp(user._id)}$`, $options: 'i' } }, { projection: { _id: 1 } }))
      return false;
    try {
      await this.users.insertOne(user);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  findToken(id: string): Promise<ApiTokenRecord | null> {
    return this.tokens.findOne({ _id: id });
  }

  async createToken(token: ApiTokenRecord): Promise<void> {
    await this.tokens.insertOne(token);
  }

  listTokens(user: string): Promise<ApiTokenRecord[]> {
    return this.tokens
      .find({ user }, { projection: { secretHash: 0 } })
      .sort({ createdAt: -1 })
      .toArray();
  }

  /** Live (unrevoked) tokens of the user (TOKENS_MAX_PER_USER); the `{user, createdAt}` index serves it. */
  countLiveTokens(user: string): Promise<number> {
    return this.tokens.countDocuments({ user, revokedAt: { $exists: false } });
  }

  async revokeToken(user: string, id: string): Promise<boolean> {
    const result = await this.tokens.updateOne({ _id: id, user, revokedAt: { $exists: false } }, { $set: { revokedAt: new Date() } });
    return result.matchedCount === 1;
  }

  async touchToken(id: string): Promise<void> {
    await this.tokens.updateOne({ _id: id }, { $set: { lastUsedAt: new Date() } });
  }
}
