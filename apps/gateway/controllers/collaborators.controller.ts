import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { AuthGuard, CollaboratorDto, CollaboratorsService, CurrentPrincipal, Principal, RequiresRole } from '../../../libs/auth';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/**
 * `GET /1/apps`: the apps the caller may read (their own and those shared with them);
 * `/1/apps/:user/:app/collaborators[/:name]`: who else may do what to an app (docs/contract.md#collaborators).
 */
@Doc.Tag('apps')
@Controller('1/apps')
@UseGuards(AuthGuard)
export class CollaboratorsController {
  constructor(private readonly collaborators: CollaboratorsService) {}

  @Get()
  @Doc.AppsReadable()
  readable(@CurrentPrincipal() principal: Principal) {
    return this.collaborators.readableApps(principal);
  }

  @Get(':user/:app/collaborators')
  @RequiresRole('viewer')
  @Doc.CollaboratorList()
  list(@Param('user') user: string, @Param('app') app: string) {
    return this.collaborators.list(user, app);
  }

  @Put(':user/:app/collaborators/:name')
  @RequiresRole('admin')
  @Doc.CollaboratorPut()
  put(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('app') app: string,
    @Param('name') name: string,
    @Body() body: CollaboratorDto,
    @RequestUuid() uuid: string,
  ) {
    return this.collaborators.put(principal, user, app, name, body?.role, uuid);
  }

  @Delete(':user/:app/collaborators/:name')
  @HttpCode(204)
  @RequiresRole('admin')
  @Doc.CollaboratorRemove()
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('app') app: string,
    @Param('name') name: string,
    @RequestUuid() uuid: string,
  ): Promise<void> {
    await this.collaborators.remove(principal, user, app, name, uuid);
  }
}
