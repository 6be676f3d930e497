export * from './app.dto';
export * from './apps.module';
export * from './apps.repository';
export * from './apps.service';
export * from './default-target-names.repository';
