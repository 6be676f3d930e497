// The worker bundles this file: every workflow the worker runs is exported here.
export { deployment } from './deployment.workflow';
export { line } from './line.workflow';
export { undeployment } from './undeployment.workflow';
export { notification } from './notification.workflow';
export { preview } from './preview.workflow';
export { pipelineRun } from './pipeline-run.workflow';
