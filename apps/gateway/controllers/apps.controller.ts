import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, UseGuards } from '@nestjs/common';
import { AppDto, AppsService, EnvPatchDto } from '../../../libs/apps';
import { AuthGuard, CurrentPrincipal, Principal, RequiresRole } from '../../../libs/auth';
import { DeploymentsService } from '../../../libs/deployments';
import { ReleasesService } from '../../../libs/releases';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `PUT/GET /1/apps/:user/:app`: repository, deploy branch, target, webhook secret, env. */
@Doc.Tag('apps')
@Controller('1/apps/:user/:app')
@UseGuards(AuthGuard)
export class AppsController {
  constructor(
    private readonly apps: AppsService,
    private readonly deployments: DeploymentsService,
    private readonly releases: ReleasesService,
  ) {}

  @Put()
  @RequiresRole('admin')
  @Doc.AppPut()
  put(@Param('user') user: string, @Param('app') app: string, @Body() body: AppDto, @RequestUuid() uuid: string) {
    return this.apps.put(user, app, body, uuid);
  }

  @Patch('env')
  @RequiresRole('admin')
  @Doc.AppEnv()
  patchEnv(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('app') app: string,
    @Body() body: EnvPatchDto,
    @RequestUuid() uuid: string,
  ) {
    return this.releases.changeEnv(principal, user, app, body, uuid);
  }

  /** UNDEPLOY: the target removes the app's deployed files; the configuration stays. */
  @Post('undeploy')
  @HttpCode(202)
  @RequiresRole('admin')
  @Doc.AppUndeploy()
  undeploy(@Param('user') user: string, @Param('app') app: string, @RequestUuid() uuid: string) {
    return this.deployments.undeploy(user, app, uuid, false);
  }

  /** Removes the app: UNDEPLOY at the target, then the configuration once that succeeded. */
  @Delete()
  @HttpCode(202)
  @RequiresRole('admin')
  @Doc.AppDelete()
  remove(@Param('user') user: string, @Param('app') app: string, @RequestUuid() uuid: string) {
    return this.deployments.undeploy(user, app, uuid, true);
  }

  @Get()
  @RequiresRole('viewer')
  @Doc.AppGet()
  get(@Param('user') user: string, @Param('app') app: string) {
    return this.apps.get(user, app);
  }
}
