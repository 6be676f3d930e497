export * from './notification.dto';
export * from './delivery-body';
export * from './notifications.repository';
export * from './notifications.service';
export * from './notifications.module';
