import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppsService } from '../apps/apps.service';
import { APP_TARGET_RULES, AppTargetRules } from '../apps/target-rules';
import { NotificationLimits } from '../config';
import { DeploymentWorkflowsClient } from '../deployments/deployment-workflows.client';
import { ApiError, Errors, storeCall } from '../errors';
import { SecretBox } from '../secrets';
import { OutboundGuard, TargetError } from '../targets';
import { NotificationDto } from './notification.dto';
import { DeliveryRecord, NotificationsRepository, SubscriptionRecord } from './notifications.repository';

/** A subscription as the API shows it: never its secret. */
export interface SubscriptionView {
  id: string;
  url: string;
  events: string[];
  format: 'json' | 'slack';
  hasSecret: boolean;
  createdAt: string;
  /** Present while the subscription is disabled: since when and why (nothing is sent until it is enabled). */
  disabled?: { at: string; reason: string };
}

/** The caps and rates of notifications (NOTIFICATIONS_* settings). */
export const NOTIFICATION_LIMITS = Symbol('NOTIFICATION_LIMITS');

/** A delivery as the API shows it: what was sent and how the subscriber answered. */
export interface DeliveryView {
  id: string;
  event: string;
  deployment: string;
  subscription: string;
  url: string;
  status: DeliveryRecord['status'];
  attempts: number;
  redeliveries: number;
  statusCode?: number;
  lastError?: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  deliveredAt?: string;
}

/** An app's notification subscriptions and deliveries (docs/reliability.md#tenant-isolation-review, for their limits): the gateway's side. */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger(NotificationsService.name);
  private readonly guard: OutboundGuard;

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly apps: AppsService,
    private readonly box: SecretBox,
    private readonly workflows: DeploymentWorkflowsClient,
    @Inject(NOTIFICATION_LIMITS) private readonly limits: NotificationLimits,
    @Optional() @Inject(APP_TARGET_RULES) rules?: AppTargetRules,
  ) {
    this.guard = new OutboundGuard(rules?.outbound ?? {});
  }

  async add(user: string, app: string, dto: NotificationDto): Promise<SubscriptionView> {
    await this.apps.get(user, app); // apps:not_found
    await this.checkUrl(dto.url);
    const record: SubscriptionRecord = {
      _id: randomUUID(),
      user,
      app,
      url: dto.url,
      events: [...new Set(dto.events)],
      format: dto.format ?? 'json',
      ...(dto.secret !== undefined && { sealedSecret: this.box.seal(dto.secret) }),
      createdAt: new Date(),
    };
    const { maxPerApp: perApp, maxPerUser: perUser } = this.limits;
    const over = await this.guarded(() => this.repository.addSubscription(record, { perApp, perUser }));
    if (over)
      throw ApiError.of(
        Errors.notificationsLimitReached,
        over === 'app'
          ? `${user}/${app} has ${perApp} notification subscriptions, the most an app may have; remove one first.`
          : `${user} has ${perUser} notification subscriptions over all apps, the most a user may have; remove one first.`,
      );
    return view(record);
  }

  async list(user: string, app: string, page: { limit: number; skip: number }): Promise<SubscriptionView[]> {
    await this.apps.get(user, app);
    return (await this.guarded(() => this.repository.subscriptionsOf(user, app, page))).map(view);
  }

  /** Sends to a disabled subscription again; its failures are forgotten. Deliveries it missed can be redelivered. */
  async enable(user: string, app: string, id: string): Promise<SubscriptionView> {
    const enabled = await this.guarded(() => this.repository.enableSubscription(user, app, id));
    if (!enabled) throw ApiError.of(Errors.notificationsNotFound, `${user}/${app} has no notification subscription ${id}.`);
    return view(enabled);
  }

  async remove(user: string, app: string, id: string): Promise<void> {
    if (!(await this.guarded(() => this.repository.removeSubscription(user, app, id)))) {
      throw ApiError.of(Errors.notificationsNotFound, `${user}/${app} has no notification subscription ${id}.`);
    }
  }

  async deliveries(user: string, app: string, limit: number, skip: number): Promise<DeliveryView[]> {
    await this.apps.get(user, app);
    return (await this.guarded(() => this.repository.deliveriesOf(user, app, limit, skip))).map(deliveryView);
  }

  /** Sends the delivery again: same id, same body, its own workflow run; at most NOTIFICATIONS_REDELIVERIES_PER_MINUTE per app. */
  async redeliver(user: string, app: string, id: string): Promise<DeliveryView> {
    const delivery = await this.guarded(() => this.repository.delivery(id));
    if (!delivery || delivery.user !== user || delivery.app !== app)
      throw ApiError.of(Errors.notificationsDeliveryNotFound, `${user}/${app} has no delivery ${id}.`);
    const subscription = await this.guarded(() => this.repository.subscription(delivery.subscription));
    if (subscription?.disabledAt)
      throw ApiError.of(
        Errors.notificationsDisabled,
        `The subscription ${subscription._id} is disabled since ${subscription.disabledAt.toISOString()} (${subscription.disabledReason}); enable it with POST /1/apps/${user}/${app}/notifications/${subscription._id}/enable first.`,
      );
    const perMinute = this.limits.redeliveriesPerMinute;
    const number = await this.guarded(() => this.repository.redeliver(user, app, id, new Date(), perMinute));
    if (number === 'not_found') throw ApiError.of(Errors.notificationsDeliveryNotFound, `${user}/${app} has no delivery ${id}.`);
    if (number === 'pending')
      throw ApiError.of(Errors.notificationsDeliveryPending, `Delivery ${id} is being delivered now; redeliver it once it has ended.`);
    if (number === 'rate')
      throw ApiError.of(
        Errors.notificationsRedeliverThrottled,
        `${user}/${app} asked ${perMinute} redeliveries in the last minute, the most allowed; try again in a minute.`,
        { retryAfterSeconds: 60 },
      );
    await this.workflows.startNotification({ id, user, redelivery: number }).catch((error: Error) => {
      throw ApiError.of(
        Errors.deployTemporalUnavailable,
        `The redelivery could not be started: Temporal is not reachable (${error.message}). Try again shortly.`,
      );
    });
    return deliveryView((await this.guarded(() => this.repository.delivery(id)))!);
  }

  /** Refused now what the worker would refuse at every attempt (link-local, metadata, and unless allowed local and private hosts). */
  private async checkUrl(url: string): Promise<void> {
    try {
      new URL(url);
    } catch {
      throw ApiError.of(Errors.notificationsBadUrl, 'The notification url is refused: it is not a URL that can be called.');
    }
    try {
      await this.guard.check(url, 'url');
    } catch (error) {
      if (!(error instanceof TargetError) || error.kind !== 'config') return; // unresolvable now: checked at each attempt
      throw ApiError.of(Errors.notificationsBadUrl, `The notification url is refused: ${error.message.replace(/^the target's url /, '')}.`);
    }
  }

  private guarded<T>(operation: () => Promise<T>): Promise<T> {
    return storeCall(Errors.notificationsDbFailed, operation, { logger: this.logger, log: 'notifications store failed' });
  }
}

function view(record: SubscriptionRecord): SubscriptionView {
  return {
    id: record._id,
    url: record.url,
    events: record.events,
    format: record.format,
    hasSecret: record.sealedSecret !== undefined,
    createdAt: record.createdAt.toISOString(),
    ...(record.disabledAt && { disabled: { at: record.disabledAt.toISOString(), reason: record.disabledReason ?? 'failing' } }),
  };
}

function deliveryView(record: DeliveryRecord): DeliveryView {
  return {
    id: record._id,
    event: record.event,
    deployment: record.deployment,
    subscription: record.subscription,
    url: record.url,
    status: record.status,
    attempts: record.attempts,
    redeliveries: record.redeliveries,
    statusCode: record.statusCode,
    lastError: record.lastError,
    body: record.body,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    deliveredAt: record.deliveredAt?.toISOString(),
  };
}
