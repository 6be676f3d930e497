import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError, Errors } from '../../libs/errors';
import { RECEIVER_OPTIONS, ReceiverOptions } from './receiver-options';

/** Basic auth when a username is configured; compared in constant time. */
@Injectable()
export class BasicAuthGuard implements CanActivate {
  constructor(@Inject(RECEIVER_OPTIONS) private readonly options: ReceiverOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const { username, password } = this.options;
    if (username === undefined) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const match = /^Basic\s+(\S+)$/i.exec(header);
    const given = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    if (!sameSecret(given, `${username}:${password ?? ''}`)) throw ApiError.of(Errors.receiverUnauthorized);
    return true;
  }
}

function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, as timingSafeEqual requires.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
