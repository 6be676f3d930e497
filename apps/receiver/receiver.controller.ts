import { Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError, Errors } from '../../libs/errors';
import { BasicAuthGuard } from './basic-auth.guard';
import { DeploymentProcessor } from './deployment-processor.service';
import { PackageStore, publicView } from './package-store';
import { UploadService } from './upload.service';

/** The protocol's two endpoints (spec section 4); the services decide, this only answers. */
@Controller()
@UseGuards(BasicAuthGuard)
export class ReceiverController {
  constructor(
    private readonly uploads: UploadService,
    private readonly processor: DeploymentProcessor,
    private readonly store: PackageStore,
  ) {}

  /** Answers as soon as the upload is on disk; processing continues in the background. */
  @Post('push')
  @HttpCode(200)
  async push(@Req() request: FastifyRequest): Promise<{ _doc: string }> {
    const upload = await this.uploads.receive(request, (id) => this.store.get(id) !== undefined);
    const { id } = await this.processor.accept(upload);
    return { _doc: id };
  }

  @Get('status/:id')
  status(@Param('id') id: string): ReturnType<typeof publicView> {
    const stored = this.store.get(id);
    if (!stored) throw ApiError.of(Errors.receiverNotFound, `no deployment package ${id}`);
    return publicView(stored);
  }
}
