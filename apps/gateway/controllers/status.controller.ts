import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AuthGuard } from '../../../libs/auth';
import { ApiError } from '../../../libs/errors';
import { StatusService } from '../../../libs/status';
import { Doc } from '../openapi-endpoints';

/** `GET /1/status/:user/webhooks[/:application]`: the status log, newest first (SPEC 2.2). */
@Doc.Tag('status')
@Controller('1/status/:user/webhooks')
@UseGuards(AuthGuard)
export class StatusController {
  constructor(private readonly status: StatusService) {}

  @Get()
  @Doc.StatusList(false)
  list(@Param('user') user: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    return this.status.list(user, undefined, bounded('limit', limit, 10, 1, 100), bounded('skip', skip, 0, 0, 1_000_000));
  }

  @Get(':application')
  @Doc.StatusList(true)
  listForApp(@Param('user') user: string, @Param('application') app: string, @Query('limit') limit?: string, @Query('skip') skip?: string) {
    return this.status.list(user, app, bounded('limit', limit, 10, 1, 100), bounded('skip', skip, 0, 0, 1_000_000));
  }
}

function bounded(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ApiError('request:invalid', 400, `${name} must be an integer from ${min} to ${max}.`);
  }
  return Number(raw);
}
