// The views are types only (erased from the build): the CLI speaks HTTP to the gateway and never
// loads its code; workflows/types holds plain data (the event names) and no dependencies.
import type { DeliveryView, SubscriptionView } from '../../../libs/notifications/notifications.service';
import { DEPLOYMENT_EVENTS } from '../../../workflows/types';
import { seg } from '../api-client';
import { CommandSpec, integer, list, readSecret, reply, secretOptions, str } from '../command';
import { UsageError } from '../errors';
import { shortTime, table } from '../output';
import { appPath } from './apps';

const EVENTS: readonly string[] = DEPLOYMENT_EVENTS;

/** The approval events are asked for by name: a subscription to "all" keeps the deployment lifecycle (docs/contract.md#approvals). */
const NAMED_ONLY = ['deployment.awaiting_approval', 'deployment.approved'];

/** `--event succeeded` or `--event deployment.succeeded`; none: every lifecycle event. */
export function notificationEvents(given: string[]): string[] {
  if (given.length === 0) return EVENTS.filter((event) => !NAMED_ONLY.includes(event));
  return given.map((event) => {
    const full = event.startsWith('deployment.') ? event : `deployment.${event}`;
    if (!EVENTS.includes(full))
      throw new UsageError(`--event ${event} is not one of ${EVENTS.map((e) => e.slice('deployment.'.length)).join(', ')}.`);
    return full;
  });
}

export const notifyAdd: CommandSpec = {
  name: 'notify add',
  args: '<app> <url>',
  summary: "POST the app's deployment events to a URL (signed when --secret-stdin is given).",
  options: {
    event: {
      type: 'string',
      multiple: true,
      value: '<event>',
      help: 'queued, started, succeeded, failed, canceled, rolled_back, awaiting_approval or approved (default: all but the last two)',
    },
    ...secretOptions('secret', 'sign each body with this secret: X-Deploy-Signature-256, as GitHub signs webhooks'),
    slack: { type: 'boolean', help: 'post Slack incoming-webhook messages' },
  },
  positionals: [2, 2],
  async run(ctx, [app, url], flags) {
    const body = {
      url,
      events: notificationEvents(list(flags, 'event')),
      secret: await readSecret(ctx, flags, 'secret'),
      format: flags.slack ? 'slack' : 'json',
    };
    const { api, session } = await ctx.connect();
    const added = await api.post<SubscriptionView>(`${appPath(session.user, app)}/notifications`, body);
    reply(
      ctx,
      flags,
      added,
      () => `Subscription ${added.id}: ${added.events.join(', ')} to ${added.url}${added.hasSecret ? ' (signed)' : ''}.`,
    );
  },
};

export const notifyList: CommandSpec = {
  name: 'notify ls',
  args: '<app>',
  summary: "List the app's notification subscriptions.",
  positionals: [1, 1],
  async run(ctx, [app], flags) {
    const { api, session } = await ctx.connect();
    const subscriptions = await api.get<SubscriptionView[]>(`${appPath(session.user, app)}/notifications`);
    reply(ctx, flags, subscriptions, () =>
      subscriptions.length === 0
        ? 'No notification subscriptions.'
        : table([
            ['ID', 'URL', 'EVENTS', 'FORMAT', 'SIGNED'],
            ...subscriptions.map((s) => [
              s.id,
              s.url,
              s.events.map((e) => e.replace('deployment.', '')).join(','),
              s.format,
              s.hasSecret ? 'yes' : 'no',
            ]),
          ]),
    );
  },
};

export const notifyRemove: CommandSpec = {
  name: 'notify rm',
  args: '<app> <id>',
  summary: 'Remove a notification subscription.',
  positionals: [2, 2],
  async run(ctx, [app, id], flags) {
    const { api, session } = await ctx.connect();
    await api.delete(`${appPath(session.user, app)}/notifications/${seg(id)}`);
    reply(ctx, flags, { id, removed: true }, () => `Subscription ${id} removed.`);
  },
};

export const deliveries: CommandSpec = {
  name: 'deliveries',
  args: '<app>',
  summary: "The app's notification deliveries, newest first; --redeliver <id> sends one again.",
  options: {
    limit: { type: 'string', value: '<n>', help: 'how many (1-100, default 10)' },
    redeliver: { type: 'string', value: '<id>', help: 'send this delivery again: same body, same id' },
  },
  positionals: [1, 1],
  async run(ctx, [app], flags) {
    const { api, session } = await ctx.connect();
    const redeliver = str(flags, 'redeliver');
    if (redeliver) {
      const again = await api.post<DeliveryView>(`${appPath(session.user, app)}/deliveries/${seg(redeliver)}/redeliver`);
      return reply(ctx, flags, again, () => `Delivery ${again.id} (${again.event}) is being sent again.`);
    }
    const found = await api.get<DeliveryView[]>(`${appPath(session.user, app)}/deliveries`, { limit: integer(flags, 'limit', 10, 1, 100) });
    reply(ctx, flags, found, () =>
      found.length === 0
        ? 'No deliveries.'
        : table([
            ['ID', 'EVENT', 'DEPLOYMENT', 'STATUS', 'ATTEMPTS', 'CODE', 'WHEN', 'LAST ERROR'],
            ...found.map((d) => [
              d.id,
              d.event.replace('deployment.', ''),
              d.deployment,
              d.status,
              String(d.attempts),
              d.statusCode ? String(d.statusCode) : '-',
              shortTime(d.createdAt),
              d.lastError ?? '',
            ]),
          ]),
    );
  },
};
