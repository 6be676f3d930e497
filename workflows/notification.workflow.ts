import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { NotificationActivitiesApi } from './activities';

/** GitHub retries failed webhook deliveries for hours; so do we: 1 s, 2 s, 4 s … at most an hour apart, for 24 h. */
const deliver = proxyActivities<NotificationActivitiesApi>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 hour' },
});
const bookkeeping = proxyActivities<NotificationActivitiesApi>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 10 },
});

/**
 * One delivery of one event to one subscriber (SPEC 8, Notifications), its own workflow so a
 * slow or failing endpoint never holds a deployment: started by the deployment through an
 * activity, and again by `POST …/deliveries/:id/redeliver`. The delivery's id and body are
 * stored before it starts; every attempt sends them unchanged.
 */
export async function notification(input: { deliveryId: string }): Promise<'delivered' | 'failed'> {
  try {
    await deliver.deliverNotification(input);
    return 'delivered';
  } catch (error) {
    const failure = error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : undefined;
    await bookkeeping.deliveryGaveUp({ ...input, reason: failure?.message ?? (error as Error).message });
    return 'failed';
  }
}
