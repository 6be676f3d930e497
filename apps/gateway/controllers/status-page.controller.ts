import type {} from '@fastify/static'; // reply.sendFile, decorated in create-gateway.ts
import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError, Errors } from '../../../libs/errors';
import { Doc } from '../openapi-endpoints';
import { STATUS_PAGE_DIR, STATUS_PAGE_FILES, STATUS_PAGE_INDEX, statusPageContentType } from '../status-page/status-page-files';

/**
 * Only same-origin script, style and fetch; no inline code, no framing, no form posts (the
 * sign-in form is handled in script, so a token can never end up in a URL), and Trusted Types
 * enforced: the page builds its DOM with textContent only.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** `GET /status-page`: the live status page (sign in with an API token, follow deployments), and its files. */
@Doc.Tag('status page')
@Controller('status-page')
export class StatusPageController {
  @Get()
  @Doc.StatusPage()
  page(@Res() reply: FastifyReply): void {
    send(reply, STATUS_PAGE_INDEX);
  }

  @Get(':file')
  @Doc.StatusPageFile()
  file(@Param('file') name: string, @Res() reply: FastifyReply): void {
    if (!STATUS_PAGE_FILES.has(name)) throw ApiError.of(Errors.requestNotFound, `No such file: /status-page/${name}.`);
    send(reply, name);
  }
}

/**
 * The file from disk through @fastify/static, which answers If-None-Match / If-Modified-Since with
 * 304. No file is fingerprinted (the URLs are fixed), so every one is `no-cache`: the browser keeps
 * it but revalidates, and a new deploy of the gateway serves new files at once.
 */
function send(reply: FastifyReply, name: string): void {
  // @fastify/send ignores the validators of a request carrying `Cache-Control: no-cache` (a reload
  // meant for caches on the way). This server has no cache, and Node's fetch adds that header to
  // every conditional request: a validator the client sends is what decides.
  const request = reply.request.raw.headers;
  if (request['if-none-match'] !== undefined || request['if-modified-since'] !== undefined) delete request['cache-control'];
  void reply
    .header('content-security-policy', STATUS_PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cache-control', 'no-cache')
    .type(statusPageContentType(name))
    .sendFile(name, STATUS_PAGE_DIR, { cacheControl: false, contentType: false, acceptRanges: false });
}
