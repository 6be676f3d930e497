import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { AuthGuard, CurrentPrincipal, ListsApps, Principal } from '../../../libs/auth';
import { ApprovalDecisionDto } from '../../../libs/deployments';
import { PipelineDto, PipelineRunDto, PipelinesService } from '../../../libs/pipelines';
import { paging } from '../http/paging';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/**
 * Release pipelines and their runs (docs/contract.md#release-pipelines). A collaborator of some of
 * the user's apps may call these routes (ListsApps); the service decides on the pipeline's apps:
 * viewer on the source to read, deployer on every app (approver where a stage asks for approval) to change or run.
 */
@Doc.Tag('pipelines')
@Controller('1/pipelines/:user')
@UseGuards(AuthGuard)
@ListsApps()
export class PipelinesController {
  constructor(private readonly pipelines: PipelinesService) {}

  @Get()
  @Doc.PipelineList()
  list(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Query('limit') limit?: string,
    @Query('skip') skip?: string,
  ) {
    const page = paging(limit, skip, 20);
    return this.pipelines.list(principal, user, page.limit, page.skip);
  }

  @Put(':name')
  @Doc.PipelinePut()
  put(@CurrentPrincipal() principal: Principal, @Param('user') user: string, @Param('name') name: string, @Body() body: PipelineDto) {
    return this.pipelines.put(principal, user, name, body);
  }

  @Get(':name')
  @Doc.PipelineGet()
  get(@CurrentPrincipal() principal: Principal, @Param('user') user: string, @Param('name') name: string) {
    return this.pipelines.get(principal, user, name);
  }

  @Delete(':name')
  @HttpCode(204)
  @Doc.PipelineDelete()
  async remove(@CurrentPrincipal() principal: Principal, @Param('user') user: string, @Param('name') name: string) {
    await this.pipelines.remove(principal, user, name);
  }

  @Post(':name/runs')
  @HttpCode(202)
  @Doc.PipelineRun()
  run(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('name') name: string,
    @Body() body: PipelineRunDto,
    @RequestUuid() uuid: string,
  ) {
    return this.pipelines.run(principal, user, name, body ?? {}, uuid);
  }

  @Get(':name/runs')
  @Doc.PipelineRunList()
  runs(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('name') name: string,
    @Query('limit') limit?: string,
    @Query('skip') skip?: string,
  ) {
    const page = paging(limit, skip, 20);
    return this.pipelines.runs(principal, user, name, page.limit, page.skip);
  }

  @Get(':name/runs/:id')
  @Doc.PipelineRunGet()
  getRun(@CurrentPrincipal() principal: Principal, @Param('user') user: string, @Param('name') name: string, @Param('id') id: string) {
    return this.pipelines.getRun(principal, user, name, id);
  }

  @Post(':name/runs/:id/approve')
  @HttpCode(200)
  @Doc.PipelineRunDecide('approve')
  approve(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('name') name: string,
    @Param('id') id: string,
    @Body() body: ApprovalDecisionDto,
  ) {
    return this.pipelines.decide(principal, user, name, id, 'approve', body?.comment);
  }

  @Post(':name/runs/:id/reject')
  @HttpCode(200)
  @Doc.PipelineRunDecide('reject')
  reject(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @Param('name') name: string,
    @Param('id') id: string,
    @Body() body: ApprovalDecisionDto,
  ) {
    return this.pipelines.decide(principal, user, name, id, 'reject', body?.comment);
  }
}
