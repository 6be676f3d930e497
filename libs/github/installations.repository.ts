import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { InjectDb } from '../persistence';

/** A user's link to a GitHub App installation: events of its repositories reach the user's apps, its tokens serve them. */
export interface InstallationLink {
  _id: string; // `${user}:${installationId}`
  user: string;
  installationId: number;
  account: { login: string; type: string };
  linkedAt: Date;
  uuid: string; // x-api-uuid of the request that linked it
}

/** The only code that reads or writes the `github_installations` collection. */
@Injectable()
export class GithubInstallationsRepository {
  private readonly links: Collection<InstallationLink>;

  constructor(@InjectDb() db: Db) {
    this.links = db.collection<InstallationLink>('github_installations');
  }

  async link(record: Omit<InstallationLink, '_id'>): Promise<void> {
    const _id = `${record.user}:${record.installationId}`;
    await this.links.replaceOne({ _id }, record, { upsert: true });
  }

  async usersOf(installationId: number): Promise<string[]> {
    const links = await this.links.find({ installationId }, { projection: { user: 1 } }).toArray();
    return links.map((link) => link.user);
  }

  async isLinked(user: string, installationId: number): Promise<boolean> {
    return (await this.links.countDocuments({ _id: `${user}:${installationId}` }, { limit: 1 })) > 0;
  }
}
