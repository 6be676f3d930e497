import { Logger, Module, OnModuleInit } from '@nestjs/common';
import { AppsRepository } from './apps.repository';
import { AppsService } from './apps.service';
import { DefaultTargetNames } from './default-target-names.repository';

@Module({ providers: [AppsRepository, AppsService, DefaultTargetNames], exports: [AppsRepository, AppsService, DefaultTargetNames] })
export class AppsModule implements OnModuleInit {
  constructor(private readonly repository: AppsRepository) {}

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes().catch((error: Error) => new Logger(AppsModule.name).warn(`apps indexes not created: ${error.message}`));
  }
}
