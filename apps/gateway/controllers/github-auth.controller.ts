import { Body, Controller, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, CurrentPrincipal, Principal } from '../../../libs/auth';
import {
  GithubAuthBodyDto,
  GithubAuthQueryDto,
  GithubAuthService,
  GithubInstallationBodyDto,
  GithubInstallationsService,
} from '../../../libs/github';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `POST /1/auth/github[?app=<name>]`: store a verified GitHub token for the caller (docs/contract.md#github-authorization); `…/installations`: link a GitHub App installation. */
@Doc.Tag('github')
@Controller('1/auth/github')
@UseGuards(AuthGuard)
export class GithubAuthController {
  constructor(
    private readonly githubAuth: GithubAuthService,
    private readonly installations: GithubInstallationsService,
  ) {}

  @Post()
  @HttpCode(200)
  @Doc.GithubAuth()
  authorize(
    @CurrentPrincipal() caller: Principal,
    @Body() body: GithubAuthBodyDto,
    @Query() query: GithubAuthQueryDto,
    @RequestUuid() uuid: string,
  ) {
    return this.githubAuth.authorize(caller.user, body?.credentials, query.app, uuid);
  }

  /** Links a GitHub App installation to the caller (docs/contract.md#the-github-app): its events reach the caller's apps, its tokens serve them. */
  @Post('installations')
  @HttpCode(200)
  @Doc.GithubInstallation()
  linkInstallation(@CurrentPrincipal() caller: Principal, @Body() body: GithubInstallationBodyDto, @RequestUuid() uuid: string) {
    return this.installations.link(caller.user, body?.installationId, uuid);
  }
}
