import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ApiError, Errors } from '../../libs/errors';
import { printable } from '../../libs/logging/printable';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Every failure answers `{error, message, uuid}` like the gateway (uuid: the request's id, also
 * in `x-api-uuid`); only unexpected ones are logged, with their stack and that uuid.
 */
@Catch()
export class ReceiverErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('Receiver');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // createReceiverApp makes request ids UUIDs; an app built another way still answers one.
    const id = http.getRequest<FastifyRequest>()?.id;
    const uuid = typeof id === 'string' && UUID.test(id) ? id : randomUUID();
    const { status, error, message } = this.describe(exception, uuid);
    if (status === 401) void reply.header('www-authenticate', 'Basic realm="deploy-webhooks receiver"');
    void reply
      .header('x-api-uuid', uuid)
      .status(status)
      .send({ error, message: printable(message), uuid });
  }

  private describe(exception: unknown, uuid: string): { status: number; error: string; message: string } {
    if (exception instanceof ApiError) return { status: exception.status, error: exception.code, message: exception.message };
    if (exception instanceof HttpException)
      return { status: exception.getStatus(), error: `receiver:http_${exception.getStatus()}`, message: exception.message };
    const fastify = exception as { statusCode?: number; message?: string };
    if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
      return { status: fastify.statusCode, error: `receiver:http_${fastify.statusCode}`, message: fastify.message ?? 'bad request' };
    }
    this.log.error(`request ${uuid} failed: ${printable(String((exception as Error)?.stack ?? exception), 8192)}`);
    return { status: 500, error: Errors.receiverInternal.code, message: 'the receiver failed unexpectedly' };
  }
}
