import type {
  DeploymentActivitiesApi,
  GithubActivitiesApi,
  HealthActivitiesApi,
  LineActivitiesApi,
  NotificationActivitiesApi,
} from '../../workflows/activities';
import type * as proxies from '../../workflows/proxies';

/**
 * Calls on the wrong proxy, each of which must not compile: test/workflows/activity-proxies.spec.ts
 * type-checks this file (Jest itself only transpiles). Each `@ts-expect-error` must meet an error
 * (an unused one is an error of its own), and the assertions below must hold. Never run.
 */
type Proxies = typeof proxies;
type NamesOn<P> = { [K in keyof P]: keyof P[K] }[keyof P];
type Local = Pick<Proxies, 'quick' | 'statusWrites' | 'lineSignals' | 'githubDeployments'>;
/** Activities that take minutes (up to 2 GiB read or sent) or call another party for long: never inside a workflow task. */
type Long = 'fetchTarball' | 'inspectTarball' | 'uploadPackage' | 'pollTarget' | 'deliverNotification';
type AllActivities = keyof (DeploymentActivitiesApi &
  GithubActivitiesApi &
  LineActivitiesApi &
  NotificationActivitiesApi &
  HealthActivitiesApi);

export const wrongProxies = (p: Proxies) => [
  // @ts-expect-error a download of up to 2 GiB must not run as a local activity
  p.quick.fetchTarball,
  // @ts-expect-error nor the inspection that reads the whole tarball
  p.quick.inspectTarball,
  // @ts-expect-error nor the upload
  p.quick.uploadPackage,
  // @ts-expect-error nor the target's status polls
  p.quick.pollTarget,
  // @ts-expect-error nor a notification's delivery (24 h of retries)
  p.quick.deliverNotification,
  // @ts-expect-error the status log's local proxy writes entries only
  p.statusWrites.fetchTarball,
  // @ts-expect-error the line's local proxy signals the line only
  p.lineSignals.uploadPackage,
  // @ts-expect-error GitHub deployments' local proxy has their two calls only
  p.githubDeployments.inspectTarball,
  // @ts-expect-error the upload counts its attempts in the workflow: not on the tarball's proxy (five attempts each)
  p.tarballWork.uploadPackage,
  // @ts-expect-error the `done` entry's regular proxy writes status entries only
  p.statusEnd.commitStatus,
  // @ts-expect-error a health probe is one attempt within its own timeout, between the bake's durable timers: not a local activity
  p.quick.probeHealth,
];

/** No local proxy offers a long activity. */
export const noLongLocal: [Extract<NamesOn<Local>, Long>] extends [never] ? true : false = true;
/** Every activity of the four APIs is offered by some proxy. */
export const everyActivityOffered: [Exclude<AllActivities, NamesOn<Proxies>>] extends [never] ? true : false = true;
