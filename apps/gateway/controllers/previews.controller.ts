import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, RequiresRole } from '../../../libs/auth';
import { PreviewsService } from '../../../libs/previews';
import { paging } from '../http/paging';
import { Doc } from '../openapi-endpoints';

/** An app's preview apps of pull requests (docs/contract.md#preview-apps). */
@Doc.Tag('previews')
@Controller('1/apps/:user/:app')
@UseGuards(AuthGuard)
export class PreviewsController {
  constructor(private readonly previews: PreviewsService) {}

  @Get('previews')
  @RequiresRole('viewer')
  @Doc.PreviewList()
  list(@Param('user') user: string, @Param('app') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip, 20);
    return this.previews.listOf(user, app, page.limit, page.skip);
  }
}
