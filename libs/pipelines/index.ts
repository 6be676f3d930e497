export * from './pipeline.dto';
export * from './pipelines.module';
export * from './pipelines.repository';
export * from './pipelines.service';
export * from './pipeline-run-steps';
