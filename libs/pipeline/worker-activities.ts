import { activitiesOf, ActivityOptions, WorkerActivitiesApi } from './activity';
import { withStepEntriesAll } from './step-entries';

type Bound = (...args: unknown[]) => Promise<unknown>;

/**
 * The pipeline's activities bound to their Nest instances, as the Temporal workers register them:
 * every one on the deployments' task queue, and those marked for it on the notifications' too.
 */
export class WorkerActivities {
  private readonly bound = new Map<string, { activity: Bound; options: ActivityOptions; owner: string }>();

  constructor(providers: object[]) {
    for (const provider of providers) {
      const type = provider.constructor as abstract new (...args: never[]) => object;
      for (const [name, options] of activitiesOf(type)) {
        const taken = this.bound.get(name);
        if (taken) throw new Error(`Two providers implement the activity ${name}: ${taken.owner} and ${type.name}`);
        const method = (provider as Record<string, Bound>)[name];
        this.bound.set(name, { activity: method.bind(provider), options, owner: type.name });
      }
    }
  }

  /**
   * What the deployments' worker registers: every activity. Deliveries started on this queue
   * before notifications had their own end here.
   */
  forDeployments(): WorkerActivitiesApi {
    // The steps' own entries are written around the activity that does the step's work (withStepEntries).
    return withStepEntriesAll(
      Object.fromEntries([...this.bound].map(([name, { activity }]) => [name, activity])) as unknown as WorkerActivitiesApi,
    );
  }

  /** What the notifications' worker registers: the deliveries. */
  forNotifications(): Partial<WorkerActivitiesApi> {
    return Object.fromEntries(
      [...this.bound].filter(([, { options }]) => options.notificationsQueue).map(([name, { activity }]) => [name, activity]),
    );
  }
}
