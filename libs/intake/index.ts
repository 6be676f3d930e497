export * from './intake.service';
export * from './github-app-webhook.service';
export * from './signatures';
export * from './triggers';
export * from './webhooks';
export * from './intake.module';
