import { Body, Controller, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, CurrentPrincipal, Principal } from '../../../libs/auth';
import { GithubAuthBodyDto, GithubAuthQueryDto, GithubAuthService } from '../../../libs/github';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `POST /1/auth/github[?app=<name>]`: store a verified GitHub token for the caller (SPEC 2.4). */
@Doc.Tag('github')
@Controller('1/auth/github')
@UseGuards(AuthGuard)
export class GithubAuthController {
  constructor(private readonly githubAuth: GithubAuthService) {}

  @Post()
  @HttpCode(200)
  @Doc.GithubAuth()
  authorize(@CurrentPrincipal() caller: Principal, @Body() body: GithubAuthBodyDto, @Query() query: GithubAuthQueryDto, @RequestUuid() uuid: string) {
    return this.githubAuth.authorize(caller.user, body?.credentials, query.app, uuid);
  }
}
