import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AuthGuard, CreateTokenDto, UsersService } from '../../../libs/auth';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `/1/users/:user/tokens`: API tokens, shown once at creation, listed without secrets, revoked by id. */
@Doc.Tag('users')
@Controller('1/users/:user/tokens')
@UseGuards(AuthGuard)
export class TokensController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Doc.TokenCreate()
  create(@Param('user') user: string, @Body() body: CreateTokenDto, @RequestUuid() uuid: string) {
    return this.users.createToken(user, body.name, uuid);
  }

  @Get()
  @Doc.TokenList()
  list(@Param('user') user: string) {
    return this.users.listTokens(user);
  }

  @Delete(':id')
  @HttpCode(204)
  @Doc.TokenRevoke()
  async revoke(@Param('user') user: string, @Param('id') id: string): Promise<void> {
    await this.users.revokeToken(user, id);
  }
}
