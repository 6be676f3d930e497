import { DynamicModule, Global, Module } from '@nestjs/common';
import { KeyedDigests } from './keyed-digests';
import { SecretBox } from './secret-box';

@Global()
@Module({})
export class SecretsModule {
  static forRoot(key: Buffer): DynamicModule {
    return {
      module: SecretsModule,
      providers: [
        { provide: SecretBox, useValue: new SecretBox(key) },
        { provide: KeyedDigests, useValue: new KeyedDigests(key) },
      ],
      exports: [SecretBox, KeyedDigests],
    };
  }
}
