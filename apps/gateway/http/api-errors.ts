import { HttpException, Logger } from '@nestjs/common';
import { ApiError, ErrorBody } from '../../../libs/errors';

export const API_VERSION = '1.0.0';
/** The router's bound on a path parameter (create-gateway.ts); longer ones get 414 request:too_long. */
export const MAX_PARAM_LENGTH = 300;
const logger = new Logger('ApiErrors');

// The webhook routes (/1/deploy and the GitHub App's) answer a body refused before the route with their own codes.
const DEPLOY_ROUTE = /^\/(1\/deploy|1\/github\/webhook)?\/?(\?.*)?$/;

/**
 * The one mapping from anything thrown to the spec's error JSON. Used by the Nest exception
 * filter and by Fastify's error handler (body parsing happens before Nest sees a request).
 */
export function toErrorResponse(error: unknown, url: string, uuid: string): { status: number; body: ErrorBody } {
  const deploy = DEPLOY_ROUTE.test(url);
  if (error instanceof ApiError) return { status: error.status, body: { error: error.code, message: error.message, uuid } };
  const fastifyCode = (error as { code?: string }).code;
  const httpStatus = error instanceof HttpException ? error.getStatus() : undefined;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE' || httpStatus === 413) {
    return { status: 413, body: { error: deploy ? 'deploy:payload:too_large' : 'request:too_large', message: 'The request body is over the configured size limit.', uuid } };
  }
  // Nest replaces Fastify's error handler and rewraps Fastify errors as HttpException(message, status), dropping `code`.
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || httpStatus === 415) {
    return deploy
      ? { status: 400, body: { error: 'deploy:provider:not_supported', message: 'Send the webhook as application/json or application/x-www-form-urlencoded.', uuid } }
      : { status: 415, body: { error: 'request:unsupported_media_type', message: 'Send application/json.', uuid } };
  }
  if (fastifyCode === 'FST_ERR_MAX_PARAM_LENGTH') {
    return { status: 414, body: { error: 'request:too_long', message: `A path segment is over ${MAX_PARAM_LENGTH} characters.`, uuid } };
  }
  if (fastifyCode === 'FST_ERR_BAD_URL') {
    return { status: 400, body: { error: 'request:invalid', message: 'The URL path has a malformed percent-encoding.', uuid } };
  }
  if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 400, body: { error: deploy ? 'deploy:no_payload' : 'request:invalid', message: 'The request body is empty.', uuid } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse() as { message?: string | string[] };
    const detail = Array.isArray(response?.message) ? response.message.join('; ') : response?.message ?? error.message;
    if (status === 404) return { status, body: { error: 'request:not_found', message: `No such endpoint: ${url.split('?')[0]}.`, uuid } };
    return { status, body: { error: status === 400 ? 'request:invalid' : `request:http_${status}`, message: String(detail), uuid } };
  }
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, body: { error: 'request:invalid', message: (error as Error).message, uuid } };
  }
  logger.error(`unexpected error (${uuid}): ${(error as Error)?.stack ?? String(error)}`);
  return { status: 500, body: { error: 'internal', message: `Something went wrong on our side; quote ${uuid} to support.`, uuid } };
}
