import { Controller, Get, Headers, Param, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AuthGuard, CurrentPrincipal, ListsApps, Principal, ReadableAppNames, ReadableApps } from '../../../libs/auth';
import { ChangesQueryDto, ChangesService } from '../../../libs/status';
import { RequestUuid } from '../http/request-context';
import { Doc } from '../openapi-endpoints';

/** `GET /1/status/:user/changes[/:id]`: the live changes feed, NDJSON or SSE (docs/contract.md#the-changes-feed). */
@Doc.Tag('status')
@Controller('1/status/:user/changes')
@UseGuards(AuthGuard)
export class ChangesController {
  constructor(private readonly changes: ChangesService) {}

  /** A collaborator watches the owner's feed with the entries of the apps they may read (docs/contract.md#collaborators). */
  @Get()
  @ListsApps()
  @Doc.ChangesFeed()
  async feed(
    @CurrentPrincipal() principal: Principal,
    @Param('user') user: string,
    @ReadableAppNames() readable: ReadableApps,
    @Query() query: ChangesQueryDto,
    @Headers('accept') accept: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @RequestUuid() uuid: string,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const sse = /\btext\/event-stream\b/i.test(accept ?? '');
    const session = await this.changes.open({
      user,
      uuid,
      framing: sse ? 'sse' : 'ndjson',
      include: query.include_docs ?? 'false',
      since: query.since ?? (lastEventId || undefined),
      timeoutMs: query.timeout === undefined ? undefined : Number(query.timeout),
      ...(readable === 'all' ? {} : { apps: readable, caller: principal.user }),
    });
    // From here on the response is a stream Nest and Fastify no longer manage.
    reply.hijack();
    reply.raw.socket?.setTimeout(0); // the feed's heartbeats and time limit bound it instead
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': sse ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no', // proxies must not buffer a live feed
      connection: 'keep-alive',
    });
    if (sse) reply.raw.write('retry: 2000\n\n');
    else reply.raw.flushHeaders();
    session.start(reply.raw);
  }

  @Get(':id')
  @ListsApps()
  @Doc.ChangesOne()
  one(@Param('user') user: string, @Param('id') id: string, @ReadableAppNames() readable: ReadableApps, @Query() query: ChangesQueryDto) {
    return this.changes.one(user, id, query.include_docs ?? 'true', readable === 'all' ? undefined : readable);
  }
}
