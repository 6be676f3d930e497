import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { createHash } from 'node:crypto';
import { ApiError, Errors } from '../../../libs/errors';
import { APP_JS } from '../status-page/app-js';
import { APPS_JS } from '../status-page/apps-js';
import { FAVICON_SVG, INDEX_HTML } from '../status-page/index-html';
import { Doc } from '../openapi-endpoints';
import { STYLE_CSS } from '../status-page/style-css';

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

interface Asset {
  body: string;
  type: string;
  etag: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Built once at start-up: the files are embedded strings, so dist/ and the Docker image carry them. */
const PAGE = asset(INDEX_HTML, 'text/html; charset=utf-8');
const FILES: Record<string, Asset> = {
  'app.js': asset(APP_JS, 'text/javascript; charset=utf-8'),
  'apps.js': asset(APPS_JS, 'text/javascript; charset=utf-8'),
  'style.css': asset(STYLE_CSS, 'text/css; charset=utf-8'),
  'favicon.svg': asset(FAVICON_SVG, 'image/svg+xml'),
};

/** `GET /status-page`: the live status page (sign in with an API token, follow deployments), and its files. */
@Doc.Tag('status page')
@Controller('status-page')
export class StatusPageController {
  @Get()
  @Doc.StatusPage()
  page(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    send(reply, PAGE, ifNoneMatch);
  }

  @Get(':file')
  @Doc.StatusPageFile()
  file(@Param('file') name: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
    if (!file) throw ApiError.of(Errors.requestNotFound, `No such file: /status-page/${name}.`);
    send(reply, file, ifNoneMatch);
  }
}

function send(reply: FastifyReply, file: Asset, ifNoneMatch: string | undefined): void {
  void reply
    .header('content-security-policy', STATUS_PAGE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cache-control', 'no-cache') // revalidate: a new deploy of the gateway serves new assets at once
    .header('etag', file.etag);
  if (ifNoneMatch === file.etag) return void reply.status(304).send();
  void reply.status(200).type(file.type).send(file.body);
}
