import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, ListsApps, ReadableAppNames, ReadableApps } from '../../../libs/auth';
import { DeploymentsService } from '../../../libs/deployments';
import { paging } from '../http/paging';
import { Doc } from '../openapi-endpoints';

/** `GET /1/users/:user/deployments[?app=]`: a user's deployments, newest first. */
@Doc.Tag('deployments')
@Controller('1/users/:user/deployments')
@UseGuards(AuthGuard)
export class UserDeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  /** A collaborator lists the deployments of the owner's apps they may read (docs/contract.md#collaborators). */
  @Get()
  @ListsApps()
  @Doc.DeploymentList()
  list(
    @Param('user') user: string,
    @ReadableAppNames() readable: ReadableApps,
    @Query('app') app?: string,
    @Query('limit') limit?: string,
    @Query('skip') skip?: string,
  ) {
    const page = paging(limit, skip);
    return this.deployments.list(user, app || undefined, page.limit, page.skip, readable === 'all' ? undefined : readable);
  }
}
