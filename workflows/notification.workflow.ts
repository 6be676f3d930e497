import { applicationFailureOf } from './failures';
import { deliveryAttempts, deliveryRecords } from './proxies';

/**
 * One delivery of one event to one subscriber (docs/contract.md#notifications), its own workflow so a
 * slow or failing endpoint never holds a deployment: started by the deployment through an
 * activity, and again by `POST …/deliveries/:id/redeliver`. The delivery's id and body are
 * stored before it starts; every attempt sends them unchanged.
 */
export async function notification(input: { deliveryId: string }): Promise<'delivered' | 'failed'> {
  try {
    await deliveryAttempts.deliverNotification(input);
    return 'delivered';
  } catch (error) {
    const failure = applicationFailureOf(error);
    await deliveryRecords.deliveryGaveUp({ ...input, reason: failure?.message ?? (error as Error).message });
    return 'failed';
  }
}
