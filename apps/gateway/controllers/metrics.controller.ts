import { Controller, Get, OnModuleDestroy, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { countFeedClients, renderMetrics } from '../../../libs/metrics';
import { FeedHub } from '../../../libs/status';
import { Doc } from '../openapi-endpoints';

/** `GET /metrics`: Prometheus metrics of this gateway process, without authentication. */
@Doc.Tag('operations')
@Controller('metrics')
export class MetricsController implements OnModuleDestroy {
  private readonly stopCounting: () => void;

  constructor(hub: FeedHub) {
    this.stopCounting = countFeedClients(() => hub.clientCount);
  }

  onModuleDestroy(): void {
    this.stopCounting();
  }

  @Get()
  @Doc.Metrics()
  async metrics(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { contentType, body } = await renderMetrics();
    void reply.type(contentType);
    return body;
  }
}
