import { DynamicModule, Module } from '@nestjs/common';
import { METRICS_SERVER_OPTIONS, MetricsServer, MetricsServerOptions } from './metrics-server';

/** The worker's metrics listener (the gateway serves `/metrics` from a controller instead). */
@Module({})
export class MetricsModule {
  static forWorker(options: MetricsServerOptions): DynamicModule {
    return {
      module: MetricsModule,
      providers: [{ provide: METRICS_SERVER_OPTIONS, useValue: options }, MetricsServer],
      exports: [MetricsServer],
    };
  }
}
