import { DynamicModule, Module } from '@nestjs/common';
import { BasicAuthGuard } from './basic-auth.guard';
import { DeploymentProcessor } from './deployment-processor.service';
import { PackageStore } from './package-store';
import { ReceiverController } from './receiver.controller';
import { RECEIVER_OPTIONS, ReceiverOptions } from './receiver-options';
import { UploadService } from './upload.service';

@Module({})
export class ReceiverModule {
  static forOptions(options: ReceiverOptions): DynamicModule {
    return {
      module: ReceiverModule,
      controllers: [ReceiverController],
      providers: [{ provide: RECEIVER_OPTIONS, useValue: options }, PackageStore, UploadService, DeploymentProcessor, BasicAuthGuard],
      exports: [DeploymentProcessor, PackageStore],
    };
  }
}
