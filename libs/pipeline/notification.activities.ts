import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApplicationFailure } from '@temporalio/common';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { NotificationLimits } from '../config';
import { Errors } from '../errors';
import { SecretBox } from '../secrets';
import { OutboundGuard, OutboundPolicy, TargetError } from '../targets';
import { httpCall } from '../targets/http-call';
import type { NotificationActivitiesApi } from '../../workflows/activities';
import type { DeploymentEvent } from '../../workflows/types';
import { deliveryBody, deliveryId, signature } from '../notifications/delivery-body';
import { NotificationsRepository, SubscriptionRecord } from '../notifications/notifications.repository';
import { NOTIFICATION_LIMITS } from '../notifications/notifications.service';
import { Activity } from './activity';

/** The worker's outbound rules (TARGET_ALLOW / TARGET_DENY): subscribers' URLs are user input, as targets are. */
export const NOTIFICATION_OUTBOUND = Symbol('NOTIFICATION_OUTBOUND');

const ANSWER_BYTES = 64 * 1024;
/** A subscriber gets 5 s without a byte either way and 10 s in all: a tarpit holds a delivery slot no longer. */
const IDLE_TIMEOUT_MS = 5_000;
const DELIVERY_DEADLINE_MS = 10_000;

const disabledSince = (s: SubscriptionRecord) =>
  `the subscription is disabled since ${s.disabledAt!.toISOString()} (${s.disabledReason}); enable it to send again`;

/** What the deployment and notification workflows do about notifications, outside the workflow. */
@Injectable()
export class NotificationActivities implements NotificationActivitiesApi {
  private readonly logger = new Logger('Notifications');
  private readonly guard: OutboundGuard;

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly box: SecretBox,
    private readonly workflows: DeploymentWorkflowsClient,
    @Inject(NOTIFICATION_OUTBOUND) outbound: OutboundPolicy,
    @Inject(NOTIFICATION_LIMITS) private readonly limits: NotificationLimits,
  ) {
    this.guard = new OutboundGuard(outbound);
  }

  @Activity()
  async notify(input: {
    deploymentId: string;
    user: string;
    repository: string;
    commit: string;
    app: string;
    event: DeploymentEvent;
    error?: { code: string; message: string };
  }): Promise<void> {
    const subscriptions = (await this.repository.subscriptionsOf(input.user, input.app)).filter((s) => s.events.includes(input.event));
    for (const subscription of subscriptions) {
      const id = deliveryId(input.deploymentId, input.event, subscription._id);
      const now = new Date();
      await this.repository.createDelivery({
        _id: id,
        user: input.user,
        app: input.app,
        subscription: subscription._id,
        deployment: input.deploymentId,
        event: input.event,
        url: subscription.url,
        format: subscription.format,
        body: deliveryBody(input, id, subscription.format, now),
        // A disabled subscription's events are kept, not sent: visible in its deliveries, and redeliverable once enabled.
        ...(subscription.disabledAt ? { status: 'failed', lastError: `not sent: ${disabledSince(subscription)}` } : { status: 'pending' }),
        attempts: 0,
        redeliveries: 0,
        createdAt: now,
        updatedAt: now,
      });
      if (!subscription.disabledAt) await this.workflows.startNotification({ id, user: input.user });
    }
  }

  @Activity({ notificationsQueue: true })
  async deliverNotification({ deliveryId: id }: { deliveryId: string }): Promise<void> {
    const delivery = await this.repository.delivery(id);
    if (!delivery || delivery.status === 'delivered') return; // delivered by an earlier run that was cut short
    // Removed meanwhile: its secret is gone with it, and nobody asked for this any more.
    const subscription = await this.repository.subscription(delivery.subscription);
    if (!subscription) throw ApplicationFailure.nonRetryable('the notification subscription was removed', Errors.notificationsRemoved.code);
    if (subscription.disabledAt) throw ApplicationFailure.nonRetryable(disabledSince(subscription), Errors.notificationsDisabled.code);
    await this.repository.countAttempt(id);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(delivery.body)),
      'user-agent': 'deploy-webhooks',
      'x-deploy-event': delivery.event,
      'x-deploy-delivery': id,
    };
    if (subscription.sealedSecret) headers['x-deploy-signature-256'] = signature(this.box.open(subscription.sealedSecret), delivery.body);
    let status: number;
    try {
      const lookup = await this.guard.check(delivery.url, 'notification url');
      ({ status } = await httpCall({
        method: 'POST',
        url: delivery.url,
        headers,
        body: delivery.body,
        maxResponseBytes: ANSWER_BYTES,
        timeoutMs: IDLE_TIMEOUT_MS,
        deadlineMs: DELIVERY_DEADLINE_MS,
        lookup,
      }));
    } catch (error) {
      const message = error instanceof TargetError ? error.message : (error as Error).message;
      if (error instanceof TargetError && !error.retryable) {
        await this.repository.attemptFailed(id, undefined, message);
        throw ApplicationFailure.nonRetryable(message, Errors.notificationsRefused.code);
      }
      throw await this.failed(id, subscription, undefined, message, Errors.notificationsUnreachable.code);
    }
    if (status >= 200 && status < 300) {
      await this.repository.subscriberAnswered(subscription._id);
      return this.repository.delivered(id, status);
    }
    throw await this.failed(id, subscription, status, `the subscriber answered ${status}`, Errors.notificationsRejected.code);
  }

  /** One failed attempt: recorded on the delivery and against the subscriber, which is disabled once it has kept failing. */
  private async failed(
    id: string,
    subscription: SubscriptionRecord,
    status: number | undefined,
    message: string,
    code: string,
  ): Promise<ApplicationFailure> {
    const { disableAfterFailures: failures, disableAfterMs: forMs } = this.limits;
    const now = await this.repository.subscriberFailed(subscription._id, new Date(), { failures, forMs });
    if (!now?.disabledAt) {
      await this.repository.attemptFailed(id, status, message);
      return ApplicationFailure.retryable(message, code);
    }
    this.logger.warn(`subscription ${subscription._id} of ${subscription.user}/${subscription.app} disabled: ${now.disabledReason}`);
    await this.repository.attemptFailed(id, status, `${message}; ${disabledSince(now)}`);
    return ApplicationFailure.nonRetryable(`${message}; ${disabledSince(now)}`, Errors.notificationsDisabled.code);
  }

  @Activity({ notificationsQueue: true })
  async deliveryGaveUp({ deliveryId: id, reason }: { deliveryId: string; reason: string }): Promise<void> {
    this.logger.warn(`delivery ${id} given up: ${reason}`);
    await this.repository.gaveUp(id);
  }
}
