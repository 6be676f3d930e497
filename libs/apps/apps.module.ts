import { Module, OnModuleInit } from '@nestjs/common';
import { AppsRepository } from './apps.repository';
import { AppsService } from './apps.service';

@Module({ providers: [AppsRepository, AppsService], exports: [AppsRepository, AppsService] })
export class AppsModule implements OnModuleInit {
  constructor(private readonly repository: AppsRepository) {}

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes().catch(() => undefined);
  }
}
