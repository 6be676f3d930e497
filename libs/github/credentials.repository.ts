import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { InjectDb } from '../persistence';

/** `*` is the unrestricted token; anything else is an app name. */
export const ANY_APP = '*';

export interface GithubTokenRecord {
  _id: string; // `${user}:${app}`: one token per user and scope, replaced on re-authorization
  user: string;
  app: string;
  login: string;
  sealedToken: string; // SecretBox-sealed, never returned by the API
  updatedAt: Date;
  uuid: string; // x-api-uuid of the request that stored it
}

/** The only code that reads or writes the `github_tokens` collection. */
@Injectable()
export class GithubCredentialsRepository {
  private readonly tokens: Collection<GithubTokenRecord>;

  constructor(@InjectDb() db: Db) {
    this.tokens = db.collection<GithubTokenRecord>('github_tokens');
  }

  async save(record: Omit<GithubTokenRecord, '_id'>): Promise<void> {
    const _id = `${record.user}:${record.app}`;
    await this.tokens.replaceOne({ _id }, record, { upsert: true });
  }

  find(user: string, app: string): Promise<GithubTokenRecord | null> {
    return this.tokens.findOne({ _id: `${user}:${app}` });
  }
}
