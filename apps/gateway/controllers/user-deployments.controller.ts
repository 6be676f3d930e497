import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../../../libs/auth';
import { DeploymentsService } from '../../../libs/deployments';
import { paging } from '../http/paging';
import { Doc } from '../openapi-endpoints';

/** `GET /1/users/:user/deployments[?app=]`: a user's deployments, newest first. */
@Doc.Tag('deployments')
@Controller('1/users/:user/deployments')
@UseGuards(AuthGuard)
export class UserDeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Get()
  @Doc.DeploymentList()
  list(@Param('user') user: string, @Query('app') app?: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip);
    return this.deployments.list(user, app || undefined, page.limit, page.skip);
  }
}
