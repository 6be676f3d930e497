export * from './workflow-ids';
export * from './deployment-workflows.client';
export * from './deployments.module';
export * from './deployments.repository';
export * from './deployments.service';
export * from './temporal';
export * from './temporal-connection';
export * from './deployment-starter';
