import { Injectable, Logger } from '@nestjs/common';
import { ApiError, Errors, storeCall } from '../errors';
import { StatusEntry, StatusEntryView, toView } from './status-entry';
import { StatusRepository } from './status.repository';

@Injectable()
export class StatusService {
  private readonly logger = new Logger(StatusService.name);

  constructor(private readonly repository: StatusRepository) {}

  async list(user: string, app: string | undefined, limit: number, skip: number): Promise<StatusEntryView[]> {
    const entries = await storeCall(Errors.statusDbQueryFail, () => this.repository.list({ user, app_name: app }, limit, skip), {
      logger: this.logger,
      log: 'status query failed',
    });
    return entries.map(toView);
  }

  async get(user: string, id: string): Promise<StatusEntryView> {
    return toView(await this.find(user, id));
  }

  /** One of the user's entries as stored (the feed needs its cursor). */
  async find(user: string, id: string): Promise<StatusEntry> {
    const entry = await storeCall(Errors.statusDbGetById, () => this.repository.findById(user, id), {
      logger: this.logger,
      log: 'status lookup failed',
    });
    if (!entry) throw ApiError.of(Errors.statusDbNotFound, `No status entry ${id} for ${user}.`);
    return entry;
  }
}
