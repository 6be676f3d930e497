import type { LineActivitiesApi } from '../../workflows/activities';
import type { StatusWrite, WithStepEntries } from '../../workflows/types';

type Bound = (...args: unknown[]) => Promise<unknown>;
/** The activities that write a step's entries and tell its line. */
type StepWriters = { recordStatus: (write: StatusWrite) => Promise<void> } & Pick<LineActivitiesApi, 'signalLine'>;

/**
 * An activity that writes its step's entries (docs/performance.md#the-raw-work-baseline): when its
 * input carries `statusEntries`, the `pending` entry as the work starts and the `ok` entry, its
 * message filled from the answer, after it. The entries are numbered by the workflow, so a retried
 * attempt writes the same ones again, which changes nothing (recordStatus). The `ok` entry's
 * message and app name may name fields of the answer (`{name}`). An input without them
 * (a run started before the patch `fewer-round-trips`) runs the activity as it was. A `lineEvent`
 * is told the app's line after the `ok` entry.
 */
export function withStepEntries<A extends Bound>(activity: A, writers: StepWriters): A {
  const { recordStatus, signalLine } = writers;
  const wrapped = async (...args: unknown[]) => {
    const entries = (args[0] as WithStepEntries | undefined)?.statusEntries;
    if (!entries) return activity(...args);
    const { statusEntries: _entries, ...input } = args[0] as WithStepEntries;
    // The `pending` entry is written while the work starts: the `ok` entry follows both.
    const [, answer] = await Promise.all([entries.pending && recordStatus(entries.pending), activity(input, ...args.slice(1))]);
    const ok = entries.ok;
    if (ok) await recordStatus({ ...ok, message: filled(ok.message, answer), app_name: filled(ok.app_name, answer)! });
    if (entries.lineEvent) await signalLine(entries.lineEvent);
    return answer;
  };
  return wrapped as A;
}

/** Every activity of `activities` wrapped with withStepEntries, writing through their own `recordStatus`. */
export function withStepEntriesAll<T extends object>(activities: T): T {
  const all = activities as Record<string, Bound>;
  const writers = { recordStatus: all.recordStatus, signalLine: all.signalLine } as StepWriters;
  if (!writers.recordStatus) return activities;
  return Object.fromEntries(Object.entries(all).map(([name, activity]) => [name, withStepEntries(activity, writers)])) as T;
}

/** `{name}` replaced by the answer's field of that name. */
function filled(message: string | undefined, answer: unknown): string | undefined {
  return message?.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = (answer as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : whole;
  });
}
