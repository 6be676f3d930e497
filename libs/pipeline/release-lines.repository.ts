import { Injectable } from '@nestjs/common';
import { Collection, Db } from 'mongodb';
import { InjectDb } from '../persistence';
import type { LineHead } from '../../workflows/types';

interface ReleaseLineRecord {
  _id: string; // `${user}/${app}`
  user: string;
  app: string;
  head: LineHead;
  updatedAt: Date;
}

/**
 * The newest known commit of each app's release line (docs/contract.md#ordering-by-commit). The line workflow holds it
 * while it runs; this copy lets a new run (after the line ended idle, or was deleted) keep
 * ordering pushes against it.
 */
@Injectable()
export class ReleaseLinesRepository {
  private readonly lines: Collection<ReleaseLineRecord>;

  constructor(@InjectDb() db: Db) {
    this.lines = db.collection<ReleaseLineRecord>('release_lines');
  }

  async head(user: string, app: string): Promise<LineHead | null> {
    return (await this.lines.findOne({ _id: `${user}/${app}` }))?.head ?? null;
  }

  async setHead(user: string, app: string, head: LineHead): Promise<void> {
    await this.lines.updateOne({ _id: `${user}/${app}` }, { $set: { user, app, head, updatedAt: new Date() } }, { upsert: true });
  }
}
