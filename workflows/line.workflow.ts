import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { AppLine } from './line/app-line';
import { lineEventSignal, lineQuery } from './line/messages';
import type { LineInput } from './types';

export { lineDecisionSignal, lineEventSignal, lineQuery } from './line/messages';

/** Events handled per run before continue-as-new (Temporal also suggests it when history grows). */
const EVENTS_PER_RUN = 1000;
/** An idle line with nothing in it ends; the next deployment starts it again (its head is in MongoDB). */
const IDLE_MS = 60 * 60 * 1000;
/**
 * How often the line checks that the deployment at the target still exists: one terminated by an
 * operator never says it left, and a signal to it fails.
 */
const PROBE_MS = 10 * 60 * 1000;

/**
 * An app's release line, one entity workflow per (user, app), id `line/<user>/<app>`
 * (`line/<queue>/<user>/<app>` on a task queue other than the default: libs/deployments/workflow-ids.ts).
 * Deployments arrive (signal-with-start from an activity) as soon as their app is known; the line orders them
 * by commit (stale pushes end at once), and admits one at a time to the target once it is ready
 * (CI, fetch and inspect done). When the running one leaves, the newest waiting one goes and
 * every older one ends `deploy:superseded`.
 */
export async function line(input: LineInput): Promise<void> {
  const appLine = new AppLine(input);
  setHandler(lineEventSignal, (event) => appLine.queue(event));
  setHandler(lineQuery, () => appLine.state);
  if (!input.carried) await appLine.readHead();

  let handled = 0;
  for (;;) {
    const running = appLine.running();
    const woke = await condition(() => appLine.hasEvents(), running ? PROBE_MS : IDLE_MS);
    if (!woke && appLine.isEmpty()) return;
    if (!woke && running) await appLine.tell(running, { type: 'admit' }); // admitted already: a no-op unless it is gone
    handled += await appLine.handleEvents();
    await appLine.admit();
    if (!appLine.hasEvents() && (handled >= (input.eventsPerRun ?? EVENTS_PER_RUN) || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof line>({ ...input, carried: appLine.carried() });
    }
  }
}
