import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthService } from '../health.service';
import { Doc } from '../openapi-endpoints';

/** `/health`: liveness and readiness, with MongoDB and Temporal checked. */
@Doc.Tag('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Doc.Health()
  async check(@Res({ passthrough: true }) reply: FastifyReply) {
    const report = await this.health.check();
    void reply.status(report.status === 'ok' ? 200 : 503);
    return report;
  }
}
