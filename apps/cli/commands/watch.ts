import { setTimeout as sleep } from 'node:timers/promises';
import { FeedLine } from '../api-client';
import { CommandSpec, integer, str } from '../command';
import { ApiFailure } from '../errors';
import { Output, shortTime, statusColour } from '../output';
import type { StatusEntryView } from '../../../libs/status/status-entry';
import { appRef } from './apps';
import { detail } from './deploys';
import { Errors } from '../../../libs/errors/catalogue';

/** Reconnect delays after failures: 0.5 s doubling to 30 s, so a restarting gateway is not hammered. */
export function backoffMs(failures: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, failures - 1));
}

/** Whether a failed feed is worth reopening: the gateway or the network failed, not the request (a 401 stays a 401). */
export function retryable(error: unknown): boolean {
  if (!(error instanceof ApiFailure)) return true; // the stream broke mid-way (undici: "terminated")
  return error.status === undefined || error.status >= 500 || error.status === 408 || error.status === 429;
}

/** One feed entry (with its doc) as a line: time, app, deployment, step and status, detail. */
export function formatChange(out: Output, line: FeedLine): string {
  const doc = (line.doc ?? {}) as Partial<StatusEntryView>;
  const status = typeof line.status === 'string' ? line.status : (doc.status ?? '');
  const progress = out.paint(statusColour(status), `${(doc.step ?? '?').padEnd(14)} ${status.padEnd(7)}`);
  return [shortTime(doc.ts), typeof line.app_name === 'string' ? line.app_name : '', doc.deployment ?? '', progress, detail(doc)]
    .join('  ')
    .trimEnd();
}

export const watch: CommandSpec = {
  name: 'watch',
  args: '[app]',
  summary: 'Follow deployments live, step by step (Ctrl-C to stop).',
  details:
    'Reads the changes feed and reconnects after a disconnect from the last seq it saw, so nothing\n' +
    'is missed or shown twice. Colour: green ok, red error, yellow pending (off when not a terminal or NO_COLOR).',
  positionals: [0, 1],
  options: {
    once: { type: 'string', value: '<n>', help: 'exit after n entries' },
    since: { type: 'string', value: '<seq>', help: 'start after this resume token (0: the whole log); default: from now' },
    'feed-timeout': { type: 'string', value: '<ms>', help: 'ask the gateway to close each connection after ms', hidden: true },
  },
  async run(ctx, [app], flags) {
    const { api, session } = await ctx.connect();
    // A shared app (`<owner>/<app>`): its owner's feed, which the gateway filters to what the caller may read.
    const shared = app === undefined ? undefined : appRef(session.user, app);
    const wanted = integer(flags, 'once', Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
    const timeout = str(flags, 'feed-timeout');
    let since = str(flags, 'since');
    let shown = 0;
    let failures = 0;
    // Ours, so reaching --once can end the response as well as Ctrl-C can.
    const stop = new AbortController();
    ctx.signal.addEventListener('abort', () => stop.abort(), { once: true });
    try {
      while (!stop.signal.aborted) {
        let ended: FeedLine | undefined;
        try {
          for await (const line of api.changes({ include_docs: 'true', since, timeout }, stop.signal, shared?.owner)) {
            failures = 0;
            if (line.seq) since = line.seq;
            if (line.error) {
              ended = line; // the gateway's last word (time limit, lagging): resume from its seq
              break;
            }
            if (shared !== undefined && line.app_name !== shared.name) continue;
            if (flags.json) ctx.out.json(line, true);
            else ctx.out.line(formatChange(ctx.out, line));
            if (++shown >= wanted) return;
          }
        } catch (error) {
          if (stop.signal.aborted) return;
          if (!retryable(error)) throw error;
          ended = { error: error instanceof ApiFailure ? error.code : 'cli:disconnected', message: (error as Error).message };
        }
        // A time-limited feed closing is routine (reconnect at once); anything else is worth a pause.
        if (ended?.error === Errors.statusChangesTimeout.code) {
          ctx.out.note(`feed reached its time limit; resuming after ${since ?? 'the start'}`);
          continue;
        }
        failures += 1;
        ctx.out.note(`feed closed${ended ? ` (${ended.error}: ${ended.message})` : ''}; reconnecting in ${backoffMs(failures) / 1000}s`);
        await sleep(backoffMs(failures), undefined, { signal: stop.signal }).catch(() => undefined);
      }
    } finally {
      stop.abort();
    }
  },
};
