export * from './pull-request';
export * from './previews.repository';
export * from './previews.service';
export * from './preview-lifecycle';
export * from './previews.module';
export * from './preview-approval.dto';
