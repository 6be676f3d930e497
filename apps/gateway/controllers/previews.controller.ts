import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, CurrentPrincipal, Principal, RequiresRole } from '../../../libs/auth';
import { ApiError, Errors } from '../../../libs/errors';
import { PreviewApprovalDto, PreviewsService } from '../../../libs/previews';
import { paging } from '../http/paging';
import { Doc } from '../openapi-endpoints';

/** An app's preview apps of pull requests (docs/contract.md#preview-apps). */
@Doc.Tag('previews')
@Controller('1/apps/:user/:app')
@UseGuards(AuthGuard)
export class PreviewsController {
  constructor(private readonly previews: PreviewsService) {}

  @Get('previews')
  @RequiresRole('viewer')
  @Doc.PreviewList()
  list(@Param('user') user: string, @Param('app') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    const page = paging(limit, skip, 20);
    return this.previews.listOf(user, app, page.limit, page.skip);
  }

  /** Anyone with a role reaches it (a stranger gets 404); the service checks the caller reviews the app. */
  @Post('previews/:pr/approve')
  @HttpCode(200)
  @RequiresRole('viewer')
  @Doc.PreviewApprove()
  approve(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('app') app: string,
    @Param('pr') pr: string,
    @Body() body: PreviewApprovalDto,
  ) {
    if (!/^[1-9]\d{0,9}$/.test(pr)) throw ApiError.of(Errors.requestInvalid, `${pr} is not a pull request number.`);
    return this.previews.approve(principal, user, app, Number(pr), { sha: body?.sha, comment: body?.comment });
  }
}
