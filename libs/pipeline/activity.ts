import type {
  DeploymentActivitiesApi,
  GithubActivitiesApi,
  HealthActivitiesApi,
  LineActivitiesApi,
  NotificationActivitiesApi,
  WindowActivitiesApi,
  PreviewActivitiesApi,
  PipelineRunActivitiesApi,
} from '../../workflows/activities';

/** Every activity the workflows call (workflows/activities.ts). */
export type WorkerActivitiesApi = DeploymentActivitiesApi &
  LineActivitiesApi &
  GithubActivitiesApi &
  NotificationActivitiesApi &
  WindowActivitiesApi &
  PreviewActivitiesApi &
  HealthActivitiesApi &
  PipelineRunActivitiesApi;

export interface ActivityOptions {
  /** Also registered on the notifications' task queue, whose worker has slots of its own. */
  notificationsQueue?: boolean;
}

const MARKED = new WeakMap<object, Map<string, ActivityOptions>>();

/**
 * Marks a method of a pipeline provider as the Temporal activity of its name, which the worker
 * binds to the provider's instance (WorkerActivities). Only a name and signature that
 * workflows/activities.ts declares compile.
 */
export function Activity(options: ActivityOptions = {}) {
  return <K extends keyof WorkerActivitiesApi>(
    prototype: object,
    name: K,
    _method: TypedPropertyDescriptor<WorkerActivitiesApi[K]>,
  ): void => {
    const marked = MARKED.get(prototype) ?? new Map<string, ActivityOptions>();
    MARKED.set(prototype, marked.set(name, options));
  };
}

/** The activities a provider class marks, by name. */
export function activitiesOf(provider: abstract new (...args: never[]) => object): ReadonlyMap<string, ActivityOptions> {
  return MARKED.get(provider.prototype as object) ?? new Map();
}
