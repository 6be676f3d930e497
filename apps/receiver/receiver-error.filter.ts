import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../../libs/errors';

/** Every failure answers `{error, message}`; only unexpected ones are logged with their stack. */
@Catch()
export class ReceiverErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('Receiver');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, error, message } = this.describe(exception);
    if (status === 401) void reply.header('www-authenticate', 'Basic realm="deploy-webhooks receiver"');
    void reply.status(status).send({ error, message });
  }

  private describe(exception: unknown): { status: number; error: string; message: string } {
    if (exception instanceof ApiError) return { status: exception.status, error: exception.code, message: exception.message };
    if (exception instanceof HttpException) return { status: exception.getStatus(), error: `receiver:http_${exception.getStatus()}`, message: exception.message };
    const fastify = exception as { statusCode?: number; message?: string };
    if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
      return { status: fastify.statusCode, error: `receiver:http_${fastify.statusCode}`, message: fastify.message ?? 'bad request' };
    }
    this.log.error((exception as Error)?.stack ?? String(exception));
    return { status: 500, error: 'receiver:internal', message: 'the receiver failed unexpectedly' };
  }
}
