import { DynamicModule, Module } from '@nestjs/common';
import { ChangesService } from './changes.service';
import { FEED_OPTIONS, FeedHub, FeedOptions } from './feed-hub';
import { FeedLeases } from './feed-leases';
import { FeedLeasesRepository } from './feed-leases.repository';
import { StatusModule } from './status.module';

/** The changes feed; gateway only (the worker writes the status log, it does not serve feeds). */
@Module({})
export class ChangesModule {
  static forRoot(options: FeedOptions): DynamicModule {
    return {
      module: ChangesModule,
      imports: [StatusModule],
      providers: [FeedHub, FeedLeasesRepository, FeedLeases, ChangesService, { provide: FEED_OPTIONS, useValue: options }],
      exports: [ChangesService, FeedHub],
    };
  }
}
