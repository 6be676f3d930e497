export * from './auth.guard';
export * from './auth.module';
export * from './auth.service';
export * from './passwords';
export * from './users.repository';
export * from './users.dto';
export * from './users.service';
export * from './login-guards';
