import { DynamicModule, Module } from '@nestjs/common';
import { AuthGuard } from './auth.guard';
import { ADMIN_BOOTSTRAP, AdminBootstrap, AdminBootstrapService, AuthService } from './auth.service';
import { UsersRepository } from './users.repository';

@Module({})
export class AuthModule {
  static forRoot(admin: AdminBootstrap): DynamicModule {
    return {
      module: AuthModule,
      providers: [UsersRepository, AuthService, AuthGuard, AdminBootstrapService, { provide: ADMIN_BOOTSTRAP, useValue: admin }],
      exports: [UsersRepository, AuthService, AuthGuard],
    };
  }
}
