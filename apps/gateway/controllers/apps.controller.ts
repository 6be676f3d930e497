import { Body, Controller, Get, Param, Put, UseGuards } from '@nestjs/common';
import { AppDto, AppsService } from '../../../libs/apps';
import { AuthGuard } from '../../../libs/auth';

/** `PUT/GET /1/apps/:user/:app`: repository, deploy branch, target, webhook secret, env. */
@Controller('1/apps/:user/:app')
@UseGuards(AuthGuard)
export class AppsController {
  constructor(private readonly apps: AppsService) {}

  @Put()
  put(@Param('user') user: string, @Param('app') app: string, @Body() body: AppDto) {
    return this.apps.put(user, app, body);
  }

  @Get()
  get(@Param('user') user: string, @Param('app') app: string) {
    return this.apps.get(user, app);
  }
}
