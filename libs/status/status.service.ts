import { Injectable, Logger } from '@nestjs/common';
import { ApiError, Errors } from '../errors';
import { StatusEntry, StatusEntryView, toView } from './status-entry';
import { StatusRepository } from './status.repository';

@Injectable()
export class StatusService {
  private readonly logger = new Logger(StatusService.name);

  constructor(private readonly repository: StatusRepository) {}

  async list(user: string, app: string | undefined, limit: number, skip: number): Promise<StatusEntryView[]> {
    try {
      const entries = await this.repository.list({ user, app_name: app }, limit, skip);
      return entries.map(toView);
    } catch (error) {
      this.logger.error(`status query failed: ${(error as Error).message}`);
      throw ApiError.of(Errors.statusDbQueryFail);
    }
  }

  async get(user: string, id: string): Promise<StatusEntryView> {
    return toView(await this.find(user, id));
  }

  /** One of the user's entries as stored (the feed needs its cursor). */
  async find(user: string, id: string): Promise<StatusEntry> {
    let entry;
    try {
      entry = await this.repository.findById(user, id);
    } catch (error) {
      this.logger.error(`status lookup failed: ${(error as Error).message}`);
      throw ApiError.of(Errors.statusDbGetById);
    }
    if (!entry) throw ApiError.of(Errors.statusDbNotFound, `No status entry ${id} for ${user}.`);
    return entry;
  }
}
