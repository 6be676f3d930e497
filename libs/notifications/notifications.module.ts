import { DynamicModule, Module } from '@nestjs/common';
import { AppsModule } from '../apps';
import { NotificationLimits } from '../config';
import { NotificationsRepository } from './notifications.repository';
import { NOTIFICATION_LIMITS, NotificationsService } from './notifications.service';

/**
 * Notification subscriptions and their deliveries. The worker's pipeline sends the deliveries
 * (libs/pipeline, NotificationActivities); the gateway's API adds and lists them, and asks for
 * redeliveries. Needs the global SecretsModule and DeploymentsModule.
 */
@Module({})
export class NotificationsModule {
  static forWorker(): DynamicModule {
    return { module: NotificationsModule, providers: [NotificationsRepository], exports: [NotificationsRepository] };
  }

  static forGateway(limits: NotificationLimits): DynamicModule {
    return {
      module: NotificationsModule,
      imports: [AppsModule],
      providers: [NotificationsRepository, NotificationsService, { provide: NOTIFICATION_LIMITS, useValue: limits }],
      exports: [NotificationsRepository, NotificationsService],
    };
  }
}
