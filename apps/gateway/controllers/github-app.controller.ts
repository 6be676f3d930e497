import { Controller, Headers as RequestHeaders, HttpCode, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GithubAppWebhookService, Headers } from '../../../libs/intake';
import { RawBody, RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `POST /1/github/webhook`: the GitHub App's webhook (docs/contract.md#the-github-app); HMAC-verified, no Basic auth. */
@Doc.Tag('github')
@Controller('1/github/webhook')
export class GithubAppController {
  constructor(private readonly appWebhook: GithubAppWebhookService) {}

  @Post()
  @HttpCode(202)
  @Doc.GithubAppWebhook()
  async webhook(
    @RequestUuid() uuid: string,
    @RequestHeaders() headers: Headers,
    @RawBody() rawBody: Buffer,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const contentType = Array.isArray(headers['content-type']) ? headers['content-type'][0] : headers['content-type'];
    const answer = await this.appWebhook.deliver({ uuid, headers, contentType, rawBody });
    void reply.status(answer.httpStatus);
    return answer.body;
  }
}
