import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { AuthGuard, CreateUserDto, CurrentPrincipal, Principal, UsersService } from '../../../libs/auth';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `POST /1/users`: an administrator creates a user (docs/contract.md#users-and-api-tokens). */
@Doc.Tag('users')
@Controller('1/users')
@UseGuards(AuthGuard)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Doc.UserCreate()
  create(@CurrentPrincipal() caller: Principal, @Body() body: CreateUserDto, @RequestUuid() uuid: string) {
    return this.users.create(caller, body.username, body.password, uuid);
  }
}
