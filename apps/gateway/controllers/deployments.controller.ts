import { Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { AuthGuard, CurrentPrincipal, Principal, RequiresRole } from '../../../libs/auth';
import { DeploymentsService } from '../../../libs/deployments';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `/1/deployments/:id`: the full record with its live step, retry and cancel (docs/contract.md#deployments). */
@Doc.Tag('deployments')
@Controller('1/deployments/:id')
@UseGuards(AuthGuard)
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Get()
  @RequiresRole('viewer', { deployment: 'id' })
  @Doc.DeploymentGet()
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.deployments.get(principal, id);
  }

  @Post('retry')
  @HttpCode(202)
  @RequiresRole('deployer', { deployment: 'id' })
  @Doc.DeploymentRetry()
  retry(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @RequestUuid() uuid: string) {
    return this.deployments.retry(principal, id, uuid);
  }

  @Post('cancel')
  @HttpCode(202)
  @RequiresRole('deployer', { deployment: 'id' })
  @Doc.DeploymentCancel()
  cancel(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @RequestUuid() uuid: string) {
    return this.deployments.cancel(principal, id, uuid);
  }
}
