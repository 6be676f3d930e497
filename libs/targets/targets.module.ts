import { DynamicModule, Module } from '@nestjs/common';
import { TARGET_CLIENT_OPTIONS, TargetClient, TargetClientOptions } from './target-client';

/** Provides the TargetClient; `forRoot` overrides its defaults (timeouts, answer size). */
@Module({ providers: [TargetClient], exports: [TargetClient] })
export class TargetsModule {
  static forRoot(options: TargetClientOptions = {}): DynamicModule {
    return {
      module: TargetsModule,
      providers: [{ provide: TARGET_CLIENT_OPTIONS, useValue: options }, TargetClient],
      exports: [TargetClient],
    };
  }
}
