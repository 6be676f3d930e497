import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppsService } from '../apps/apps.service';
import { APP_TARGET_RULES, AppTargetRules } from '../apps/target-rules';
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
}

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

/** An app's notification subscriptions and deliveries (SPEC 8, Notifications): the gateway's side. */
@Injectable()
export class NotificationsService {
  private readonly logger = new Logger(NotificationsService.name);
  private readonly guard: OutboundGuard;

  constructor(
    private readonly repository: NotificationsRepository,
    private readonly apps: AppsService,
    private readonly box: SecretBox,
    private readonly workflows: DeploymentWorkflowsClient,
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
    await this.guarded(() => this.repository.addSubscription(record));
    return view(record);
  }

  async list(user: string, app: string): Promise<SubscriptionView[]> {
    await this.apps.get(user, app);
    return (await this.guarded(() => this.repository.subscriptionsOf(user, app))).map(view);
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

  /** Sends the delivery again: same id, same body, its own workflow run. */
  async redeliver(user: string, app: string, id: string): Promise<DeliveryView> {
    const number = await this.guarded(() => this.repository.redeliver(user, app, id));
    if (number === null) throw ApiError.of(Errors.notificationsDeliveryNotFound, `${user}/${app} has no delivery ${id}.`);
    await this.workflows.startNotification(`notification/${id}/redeliver-${number}`, id).catch((error: Error) => {
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
