import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AuthGuard, CurrentPrincipal, Principal } from '../../../libs/auth';
import { ApprovalDecisionDto, ApprovalsService, DeployNowDto } from '../../../libs/deployments';
import { Doc } from '../openapi-endpoints';

/**
 * Decisions on deployments that wait for one (docs/contract.md#approvals): approve, reject,
 * deploy now, and the list of what waits for the caller. The deployment's workflow answers each
 * decision through an Update, so the answer is its outcome.
 */
@Doc.Tag('approvals')
@Controller('1')
@UseGuards(AuthGuard)
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get('approvals')
  @Doc.ApprovalsWaiting()
  waiting(@CurrentPrincipal() principal: Principal) {
    return this.approvals.waiting(principal);
  }

  @Post('deployments/:id/approve')
  @HttpCode(200)
  @Doc.DeploymentApprove()
  approve(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: ApprovalDecisionDto) {
    return this.approvals.decide(principal, id, 'approve', body?.comment);
  }

  @Post('deployments/:id/reject')
  @HttpCode(200)
  @Doc.DeploymentReject()
  reject(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: ApprovalDecisionDto) {
    return this.approvals.decide(principal, id, 'reject', body?.comment);
  }

  @Post('deployments/:id/deploy-now')
  @HttpCode(200)
  @Doc.DeploymentDeployNow()
  deployNow(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: DeployNowDto) {
    return this.approvals.deployNow(principal, id, body.reason);
  }
}
