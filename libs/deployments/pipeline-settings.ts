import type { TarLimits } from '../tarballs/safety';
import type { DeploymentTarget } from '../targets';

/** What the worker's activities need from the configuration. */
export interface PipelineSettings {
  tar: TarLimits;
  /** Used for apps without a target of their own (npm start points it at the reference receiver). */
  defaultTarget?: DeploymentTarget;
  /** Base of links to a deployment (commit status target URLs). */
  publicUrl: string;
}
export const PIPELINE_SETTINGS = Symbol('PIPELINE_SETTINGS');
