import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, RequiresRole } from '../../../libs/auth';
import { NotificationDto, NotificationsService } from '../../../libs/notifications';
import { paging } from '../http/paging';
import { Doc } from '../openapi-endpoints';

/** A page of subscriptions holds an app's whole default cap (20), as the list did before it had pages. */
const NOTIFICATIONS_PAGE = 20;

/** An app's notification subscriptions and their deliveries: its admins' (docs/contract.md#collaborators). */
@Doc.Tag('notifications')
@Controller('1/apps/:user/:app')
@UseGuards(AuthGuard)
@RequiresRole('admin')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Post('notifications')
  @HttpCode(201)
  @Doc.NotificationAdd()
  add(@Param('user') user: string, @Param('app') app: string, @Body() body: NotificationDto) {
    return this.notifications.add(user, app, body);
  }

  @Get('notifications')
  @Doc.NotificationList()
  list(@Param('user') user: string, @Param('app') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    return this.notifications.list(user, app, paging(limit, skip, NOTIFICATIONS_PAGE));
  }

  @Post('notifications/:id/enable')
  @HttpCode(200)
  @Doc.NotificationEnable()
  enable(@Param('user') user: string, @Param('app') app: string, @Param('id') id: string) {
    return this.notifications.enable(user, app, id);
  }

  @Delete('notifications/:id')
  @HttpCode(204)
  @Doc.NotificationRemove()
  async remove(@Param('user') user: string, @Param('app') app: string, @Param('id') id: string): Promise<void> {
    await this.notifications.remove(user, app, id);
  }

  @Get('deliveries')
  @Doc.DeliveryList()
  deliveries(@Param('user') user: string, @Param('app') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip);
    return this.notifications.deliveries(user, app, page.limit, page.skip);
  }

  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  @Doc.DeliveryRedeliver()
  redeliver(@Param('user') user: string, @Param('app') app: string, @Param('id') id: string) {
    return this.notifications.redeliver(user, app, id);
  }
}
