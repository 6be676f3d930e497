import type { WindowCheck } from '../../workflows/types';

/** Days as windows name them, in JavaScript's order (Sunday first). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** An allow window: on `days`, from `start` to `end` ("HH:MM", local time of the IANA zone `tz`); `end` before `start` runs past midnight. */
export interface DeployWindow {
  days: Weekday[];
  start: string;
  end: string;
  tz: string;
}

/** A freeze: no deploying from `from` to `to` (ISO instants). */
export interface DeployFreeze {
  from: string;
  to: string;
  reason: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far ahead the next opening is looked for: past this, a wait is re-read (a year of freezes would be odd). */
const SEARCH_STEPS = 400;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let format = formatters.get(tz);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(tz, format);
  }
  return format;
}

/** The wall clock of `tz` at instant `t`: its date (as a UTC midnight), weekday and minute of the day. */
function localTime(t: number, tz: string): { day: Weekday; minute: number; date: number } {
  const parts = Object.fromEntries(
    formatter(tz)
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  return {
    day: parts.weekday.toLowerCase().slice(0, 3) as Weekday,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
    date: Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)),
  };
}

/**
 * The instant the wall clock of `tz` shows `minute` on the local date `date` (a UTC midnight). The
 * zone's offset is read at the guess and again at the result, so a day with a daylight-saving
 * change gets the offset in force at that time; a time the change skips comes out shifted by it.
 */
function instantOf(date: number, minute: number, tz: string): number {
  const wall = date + minute * 60_000;
  const offsetAt = (t: number) => {
    const local = localTime(t, tz);
    return local.date + local.minute * 60_000 - Math.floor(t / 60_000) * 60_000;
  };
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}

function inWindow(t: number, window: DeployWindow): boolean {
  const { day, minute } = localTime(t, window.tz);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  if (start < end) return window.days.includes(day) && minute >= start && minute < end;
  // Past midnight: the evening belongs to the day it starts on, the early morning to the day before.
  const dayBefore = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7];
  return (window.days.includes(day) && minute >= start) || (window.days.includes(dayBefore) && minute < end);
}

const frozenBy = (t: number, freezes: DeployFreeze[]) => freezes.find((f) => Date.parse(f.from) <= t && t < Date.parse(f.to));

/** Whether the windows (none: always) and freezes allow deploying at `t`; else why not. */
function blocked(t: number, windows: DeployWindow[], freezes: DeployFreeze[]): string | undefined {
  const freeze = frozenBy(t, freezes);
  if (freeze) return `frozen until ${new Date(Date.parse(freeze.to)).toISOString()} (${freeze.reason})`;
  if (windows.length > 0 && !windows.some((w) => inWindow(t, w))) return 'outside every deploy window';
  return undefined;
}

/** The instants after `t` at which deploying may become allowed: window starts of the next week, freezes' ends. */
function openingsAfter(t: number, windows: DeployWindow[], freezes: DeployFreeze[]): number[] {
  const candidates = freezes.map((f) => Date.parse(f.to)).filter((end) => end > t);
  for (const window of windows) {
    const today = localTime(t, window.tz).date;
    for (let offset = -1; offset <= 8; offset++) {
      const date = today + offset * DAY_MS;
      const day = WEEKDAYS[new Date(date).getUTCDay()];
      if (!window.days.includes(day)) continue;
      const start = instantOf(date, minutesOf(window.start), window.tz);
      if (start > t) candidates.push(start);
    }
  }
  return candidates.sort((a, b) => a - b);
}

/**
 * Whether an app's deploy windows and freezes allow deploying at `at`, and otherwise the next
 * instant they do (docs/contract.md#deploy-windows-and-freezes). Pure: the worker's activity calls
 * it, never workflow code, so time-zone data lives outside replay.
 */
export function windowCheck(windows: DeployWindow[], freezes: DeployFreeze[], at: Date): WindowCheck {
  const now = at.getTime();
  const reason = blocked(now, windows, freezes);
  if (!reason) return { open: true, reason: 'inside a deploy window' };
  let t = now;
  for (let step = 0; step < SEARCH_STEPS; step++) {
    const next = openingsAfter(t, windows, freezes)[0];
    if (next === undefined) return { open: false, reason };
    if (!blocked(next, windows, freezes)) return { open: false, opensAt: new Date(next).toISOString(), reason };
    t = next;
  }
  return { open: false, reason };
}
