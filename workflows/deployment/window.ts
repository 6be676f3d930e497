import { ApplicationFailure, condition, defineUpdate, patched, setHandler } from '@temporalio/workflow';
import { Errors } from '../../libs/errors/catalogue';
import type { ResolvedApp } from '../activities';
import { DEPLOY_WINDOWS_PATCH } from '../patches';
import { lineSignals, windowChecks } from '../proxies';
import type { DeployNowRequest, HoldRecord, WindowCheck } from '../types';
import type { RunningDeployment } from './running-deployment';

/** Deploy a deployment waiting for its window now (an approver or admin, the gateway checked), the reason logged. */
export const deployNowUpdate = defineUpdate<{ proceeds: true }, [DeployNowRequest]>('deploy-now');

/** A wait is re-read at least this often, so a changed window or a lifted freeze counts within hours. */
const RECHECK_MS = 6 * 60 * 60 * 1000;

type Window = NonNullable<HoldRecord['window']>;

const waitingMessage = (check: WindowCheck) =>
  `Waiting for a deploy window: ${check.reason}${check.opensAt ? `; the next opening is ${check.opensAt}` : ''}.`;

/**
 * The `waiting_for_window` stage (docs/contract.md#deploy-windows-and-freezes): a ready deployment
 * of an app with deploy windows or freezes goes on only while they allow it; otherwise it waits,
 * on a durable timer, until the next opening the `deployWindow` activity computes (IANA zones,
 * outside workflow code, so a change of the worker's time-zone data cannot change a replay), or a
 * `deploy-now` Update. The line is told it is held, so a newer push supersedes it.
 */
export async function awaitWindow(deployment: RunningDeployment, app: ResolvedApp): Promise<void> {
  if (!app.windowed || !patched(DEPLOY_WINDOWS_PATCH)) return;
  const { input, statusLog, turn } = deployment;
  let window: Window | undefined;
  let now: (DeployNowRequest & { at: string }) | undefined;
  setHandler(
    deployNowUpdate,
    (request) => {
      now = { ...request, at: new Date().toISOString() };
      return { proceeds: true as const };
    },
    {
      validator: ({ user }: DeployNowRequest) => {
        if (!window || now || deployment.stopped())
          throw ApplicationFailure.nonRetryable(
            `${input.deploymentId} is not waiting for a deploy window (asked by ${user}).`,
            Errors.deployApprovalClosed.code,
          );
      },
    },
  );
  for (;;) {
    const check = await windowChecks.deployWindow({ user: input.user, app: app.app, at: new Date().toISOString() });
    if (check.open) break;
    if (!window || window.opensAt !== check.opensAt) {
      const first = !window;
      window = { opensAt: check.opensAt, reason: check.reason };
      deployment.hold = { ...deployment.hold, window };
      await statusLog.record('waiting_for_window', 'pending', waitingMessage(check));
      if (first && turn.app)
        await lineSignals.signalLine({ user: input.user, app: turn.app, event: { type: 'hold', deploymentId: input.deploymentId } });
    }
    const wait = check.opensAt ? Math.min(Math.max(Date.parse(check.opensAt) - Date.now(), 1), RECHECK_MS) : RECHECK_MS;
    if (await condition(() => now !== undefined, wait)) break;
  }
  if (!window) return;
  if (now) {
    window.deployedNow = { user: now.user, reason: now.reason, at: now.at };
    await statusLog.record('waiting_for_window', 'ok', `Deployed now by ${now.user}, outside the deploy window: ${now.reason}`);
  } else await statusLog.record('waiting_for_window', 'ok', 'The deploy window opened; going to the line.');
}
