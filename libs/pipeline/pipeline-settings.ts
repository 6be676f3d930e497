import type { TarLimits } from '../tarballs/safety';
import type { DeploymentTarget } from '../targets';

/** What the worker's activities need from the configuration. */
export interface PipelineSettings {
  tar: TarLimits;
  /** Used for apps without a target of their own (npm start points it at the reference receiver). */
  defaultTarget?: DeploymentTarget;
  /** Base of links to a deployment (commit status target URLs). */
  publicUrl: string;
  /** The GitHub checks gate (docs/contract.md#github-checks); absent: 30 s polls, 10 min queued grace. */
  ci?: { pollIntervalMs: number; queuedGraceMs: number };
  /** The GitHub App's id: its own check suites are not waited for. */
  githubAppId?: number;
}
export const PIPELINE_SETTINGS = Symbol('PIPELINE_SETTINGS');
