import { Module, OnModuleInit } from '@nestjs/common';
import { StatusRepository } from './status.repository';
import { StatusService } from './status.service';

@Module({
  providers: [StatusRepository, StatusService],
  exports: [StatusRepository, StatusService],
})
export class StatusModule implements OnModuleInit {
  constructor(private readonly repository: StatusRepository) {}

  async onModuleInit(): Promise<void> {
    await this.repository.ensureIndexes();
  }
}
