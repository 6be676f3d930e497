import { Injectable, Logger } from '@nestjs/common';
import { ApiError, Errors, storeCall } from '../errors';
import { StatusEntry, StatusEntryView, toView } from './status-entry';
import { StatusRepository } from './status.repository';

@Injectable()
export class StatusService {
  private readonly logger = new Logger(StatusService.name);

  constructor(private readonly repository: StatusRepository) {}

  /** `apps`: of these apps only (a collaborator's view of the owner's log, docs/contract.md#collaborators). */
  async list(user: string, app: string | undefined, limit: number, skip: number, apps?: string[]): Promise<StatusEntryView[]> {
    const entries = await storeCall(Errors.statusDbQueryFail, () => this.repository.list({ user, app_name: app, apps }, limit, skip), {
      logger: this.logger,
      log: 'status query failed',
    });
    return entries.map(toView);
  }

  async get(user: string, id: string): Promise<StatusEntryView> {
    return toView(await this.find(user, id));
  }

  /** One of the user's entries as stored (the feed needs its cursor); with `apps`, of one of these apps. */
  async find(user: string, id: string, apps?: string[]): Promise<StatusEntry> {
    const entry = await storeCall(Errors.statusDbGetById, () => this.repository.findById(user, id), {
      logger: this.logger,
      log: 'status lookup failed',
    });
    if (!entry || (apps !== undefined && !apps.includes(entry.app_name)))
      throw ApiError.of(Errors.statusDbNotFound, `No status entry ${id} for ${user}.`);
    return entry;
  }
}
