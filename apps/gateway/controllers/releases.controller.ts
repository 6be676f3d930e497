import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { AppAccess, AuthGuard, CurrentPrincipal, Principal, RequiresRole } from '../../../libs/auth';
import { PromoteDto, ReleasesService, RollbackDto } from '../../../libs/releases';
import { paging } from '../http/paging';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** An app's releases (docs/contract.md#releases) and the actions that deploy one again: rollback, redeploy; unlock after a rollback. */
@Doc.Tag('releases')
@Controller('1/apps/:user/:app')
@UseGuards(AuthGuard)
export class ReleasesController {
  constructor(
    private readonly releases: ReleasesService,
    private readonly access: AppAccess,
  ) {}

  @Get('releases')
  @RequiresRole('viewer')
  @Doc.ReleaseList()
  list(@Param('user') user: string, @Param('app') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip);
    return this.releases.list(user, app, page.limit, page.skip);
  }

  @Post('rollback')
  @HttpCode(202)
  @RequiresRole('deployer')
  @Doc.ReleaseRollback()
  rollback(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('app') app: string,
    @Body() body: RollbackDto,
    @RequestUuid() uuid: string,
  ) {
    return this.releases.rollback(principal, user, app, body?.release, uuid);
  }

  @Post('redeploy')
  @HttpCode(202)
  @RequiresRole('deployer')
  @Doc.ReleaseRedeploy()
  redeploy(@CurrentPrincipal() principal: Principal, @Param('user') user: string, @Param('app') app: string, @RequestUuid() uuid: string) {
    return this.releases.redeploy(principal, user, app, uuid);
  }

  @Post('promote')
  @HttpCode(202)
  @RequiresRole('deployer')
  @Doc.ReleasePromote()
  async promote(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('app') app: string,
    @Body() body: PromoteDto,
    @RequestUuid() uuid: string,
  ) {
    // The app promoted to is deployed too: the same role is needed there.
    if (typeof body.to === 'string') await this.access.require(principal, user, body.to, 'deployer');
    return this.releases.promote(principal, user, app, body.to, uuid);
  }

  @Post('unlock')
  @HttpCode(200)
  @RequiresRole('deployer')
  @Doc.ReleaseUnlock()
  unlock(@Param('user') user: string, @Param('app') app: string) {
    return this.releases.unlock(user, app);
  }
}
