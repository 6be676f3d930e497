import { Injectable } from '@nestjs/common';
import { Collection, Db, MongoServerError } from 'mongodb';
import { InjectDb } from '../persistence';

/**
 * App names on the shared default target (DEFAULT_TARGET_URL). Every user's apps without a
 * target of their own land on that one receiver, which knows apps by name only; so there, as on
 * Heroku, a name belongs to the first user who deploys it, and no other user can overwrite or
 * undeploy that app. Released when its owner removes the app.
 */
interface DefaultTargetName {
  _id: string; // the app name
  user: string;
  claimedAt: Date;
}

@Injectable()
export class DefaultTargetNames {
  private readonly names: Collection<DefaultTargetName>;

  constructor(@InjectDb() db: Db) {
    this.names = db.collection<DefaultTargetName>('default_target_names');
  }

  /** Claims `name` for `user` unless someone holds it; answers who holds it now. */
  async claim(name: string, user: string): Promise<string> {
    try {
      const held = await this.names.findOneAndUpdate(
        { _id: name },
        { $setOnInsert: { user, claimedAt: new Date() } },
        { upsert: true, returnDocument: 'after' },
      );
      return held!.user;
    } catch (error) {
      // Two first deployments at once: one upsert wins, the other reads the winner.
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
      return (await this.names.findOne({ _id: name }))!.user;
    }
  }

  /** Who holds `name`, if anyone. */
  async owner(name: string): Promise<string | undefined> {
    return (await this.names.findOne({ _id: name }))?.user;
  }

  async release(name: string, user: string): Promise<void> {
    await this.names.deleteOne({ _id: name, user });
  }
}
