import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../../../libs/auth';
import { StatusService } from '../../../libs/status';
import { paging } from '../http/paging';
import { Doc } from '../openapi-endpoints';

/** `GET /1/status/:user/webhooks[/:application]`: the status log, newest first (docs/contract.md#the-status-log). */
@Doc.Tag('status')
@Controller('1/status/:user/webhooks')
@UseGuards(AuthGuard)
export class StatusController {
  constructor(private readonly status: StatusService) {}

  @Get()
  @Doc.StatusList(false)
  list(@Param('user') user: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip);
    return this.status.list(user, undefined, page.limit, page.skip);
  }

  @Get(':application')
  @Doc.StatusList(true)
  listForApp(@Param('user') user: string, @Param('application') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip);
    return this.status.list(user, app, page.limit, page.skip);
  }
}
