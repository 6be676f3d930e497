import { DynamicModule, Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module';
import { AppAccess } from './app-access';
import { AuthGuard } from './auth.guard';
import { CollaboratorsService } from './collaborators.service';
import { ADMIN_BOOTSTRAP, AdminBootstrap, AdminBootstrapService, AuthService, LOGIN_LIMITS, LoginLimits } from './auth.service';
import { LoginAttemptsRepository } from './login-attempts.repository';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({})
export class AuthModule {
  static forRoot(admin: AdminBootstrap, limits: LoginLimits): DynamicModule {
    return {
      module: AuthModule,
      imports: [AppsModule],
      providers: [
        AppAccess,
        CollaboratorsService,
        UsersRepository,
        LoginAttemptsRepository,
        AuthService,
        AuthGuard,
        UsersService,
        AdminBootstrapService,
        { provide: ADMIN_BOOTSTRAP, useValue: admin },
        { provide: LOGIN_LIMITS, useValue: limits },
      ],
      exports: [UsersRepository, AuthService, AuthGuard, UsersService, AppAccess, CollaboratorsService],
    };
  }
}
