import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../../libs/errors';
import { toErrorResponse } from './api-errors';
import { requestUuid } from './request-context';

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(error, request.url, requestUuid(request));
    if (reply.sent) return; // a stream already answered; nothing more can be said
    if (error instanceof ApiError && error.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
    void reply.status(status).type('application/json').send(body);
  }
}
