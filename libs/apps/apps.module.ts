import { Module, OnModuleInit } from '@nestjs/common';
import { AppConfigCache } from './app-config-cache';
import { AppsRepository } from './apps.repository';
import { AppsService } from './apps.service';
import { DefaultTargetNames } from './default-target-names.repository';

@Module({
  providers: [AppsRepository, AppConfigCache, AppsService, DefaultTargetNames],
  exports: [AppsRepository, AppConfigCache, AppsService, DefaultTargetNames],
})
export class AppsModule implements OnModuleInit {
  constructor(private readonly repository: AppsRepository) {}

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes();
  }
}
