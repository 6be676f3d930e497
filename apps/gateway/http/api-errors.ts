import { HttpException, Logger } from '@nestjs/common';
import { ApiError, ErrorBody, Errors, HttpErrorEntry } from '../../../libs/errors';

export const API_VERSION = '1.0.0';
/** The router's bound on a path parameter (create-gateway.ts); longer ones get 414 request:too_long. */
export const MAX_PARAM_LENGTH = 300;
const logger = new Logger('ApiErrors');

// The webhook routes (/1/deploy and the GitHub App's) answer a body refused before the route with their own codes.
const DEPLOY_ROUTE = /^\/(1\/deploy|1\/github\/webhook)?\/?(\?.*)?$/;

/**
 * The one mapping from anything thrown to the API's error JSON (docs/contract.md#errors). Used by the Nest exception
 * filter and by Fastify's error handler (body parsing happens before Nest sees a request).
 */
export function toErrorResponse(error: unknown, url: string, uuid: string): { status: number; body: ErrorBody } {
  const deploy = DEPLOY_ROUTE.test(url);
  const answer = (entry: HttpErrorEntry, message: string, status: number = entry.status) => ({
    status,
    body: { error: entry.code, message, uuid },
  });
  if (error instanceof ApiError) return { status: error.status, body: { error: error.code, message: error.message, uuid } };
  const fastifyCode = (error as { code?: string }).code;
  const httpStatus = error instanceof HttpException ? error.getStatus() : undefined;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE' || httpStatus === 413) {
    return answer(deploy ? Errors.deployPayloadTooLarge : Errors.requestTooLarge, 'The request body is over the configured size limit.');
  }
  // Nest replaces Fastify's error handler and rewraps Fastify errors as HttpException(message, status), dropping `code`.
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || httpStatus === 415) {
    return deploy
      ? answer(Errors.deployProviderNotSupported, 'Send the webhook as application/json or application/x-www-form-urlencoded.')
      : answer(Errors.requestUnsupportedMediaType, 'Send application/json.');
  }
  if (fastifyCode === 'FST_ERR_MAX_PARAM_LENGTH') {
    return answer(Errors.requestTooLong, `A path segment is over ${MAX_PARAM_LENGTH} characters.`);
  }
  if (fastifyCode === 'FST_ERR_BAD_URL') {
    return answer(Errors.requestInvalid, 'The URL path has a malformed percent-encoding.');
  }
  if (fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return answer(deploy ? Errors.deployNoPayload : Errors.requestInvalid, 'The request body is empty.');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse() as { message?: string | string[] };
    const detail = Array.isArray(response?.message) ? response.message.join('; ') : (response?.message ?? error.message);
    if (status === 404) return answer(Errors.requestNotFound, `No such endpoint: ${url.split('?')[0]}.`);
    return {
      status,
      body: { error: status === 400 ? Errors.requestInvalid.code : `request:http_${status}`, message: String(detail), uuid },
    };
  }
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return answer(Errors.requestInvalid, (error as Error).message, statusCode);
  }
  logger.error(`unexpected error (${uuid}): ${(error as Error)?.stack ?? String(error)}`);
  return answer(Errors.internal, `Something went wrong on our side; quote ${uuid} to support.`);
}
