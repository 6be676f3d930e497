import { Controller, Headers as RequestHeaders, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthGuard, BadCredentialsCode, CurrentPrincipal, Principal } from '../../../libs/auth';
import { Headers, IntakeService } from '../../../libs/intake';
import { RawBody, RequestUuid } from '../http/request-context';
import { Errors } from '../../../libs/errors';
import { Doc } from '../openapi-endpoints';

/** `POST /` and `POST /1/deploy`: GitHub and Travis webhooks (docs/contract.md#webhook-intake). */
@Doc.Tag('deploy')
@Controller()
@UseGuards(AuthGuard)
@BadCredentialsCode(Errors.deployAuthBadCreds)
export class DeployController {
  constructor(private readonly intake: IntakeService) {}

  @Post(['/', '1/deploy'])
  @HttpCode(202)
  @Doc.Deploy()
  async deploy(
    @CurrentPrincipal() principal: Principal,
    @RequestUuid() uuid: string,
    @RequestHeaders() headers: Headers,
    @RawBody() rawBody: Buffer,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const contentType = Array.isArray(headers['content-type']) ? headers['content-type'][0] : headers['content-type'];
    const answer = await this.intake.deliver({ user: principal.user, uuid, headers, contentType, rawBody });
    void reply.status(answer.httpStatus);
    return answer.body;
  }
}
