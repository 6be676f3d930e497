import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, ListsApps, ReadableAppNames, ReadableApps, RequiresRole } from '../../../libs/auth';
import { StatusService } from '../../../libs/status';
import { paging } from '../http/paging';
import { Doc } from '../openapi-endpoints';

/** `GET /1/status/:user/webhooks[/:application]`: the status log, newest first (docs/contract.md#the-status-log). */
@Doc.Tag('status')
@Controller('1/status/:user/webhooks')
@UseGuards(AuthGuard)
export class StatusController {
  constructor(private readonly status: StatusService) {}

  /** A collaborator reads the entries of the owner's apps they may read (docs/contract.md#collaborators). */
  @Get()
  @ListsApps()
  @Doc.StatusList(false)
  list(
    @Param('user') user: string,
    @ReadableAppNames() readable: ReadableApps,
    @Query('limit') limit?: string,
    @Query('skip') skip?: string,
  ) {
    const page = paging(limit, skip);
    return this.status.list(user, undefined, page.limit, page.skip, readable === 'all' ? undefined : readable);
  }

  @Get(':application')
  @RequiresRole('viewer', { app: 'application' })
  @Doc.StatusList(true)
  listForApp(@Param('user') user: string, @Param('application') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip);
    return this.status.list(user, app, page.limit, page.skip);
  }
}
