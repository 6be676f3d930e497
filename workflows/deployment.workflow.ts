import {
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { StatusActivities } from './activities';
import {
  DeploymentInput,
  DeploymentOutcome,
  DeploymentState,
  PushSignal,
  SEARCH_ATTRIBUTES,
  StatusState,
  Step,
  TravisSignal,
} from './types';

export const pushSignal = defineSignal<[PushSignal]>('push');
export const travisSignal = defineSignal<[TravisSignal]>('travis');
export const cancelSignal = defineSignal<[{ reason?: string }]>('cancel');
export const stateQuery = defineQuery<DeploymentState>('state');

const status = proxyActivities<StatusActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** One deployment, from a stored webhook payload to the receiver's final state (SPEC 3). */
export async function deployment(input: DeploymentInput): Promise<DeploymentOutcome> {
  const state: DeploymentState = { step: 'received', state: 'running', attempt: workflowInfo().attempt, records: [], timings: {} };
  let push = input.push;
  let seq = 0;

  setHandler(stateQuery, () => state);
  setHandler(pushSignal, (signal) => {
    push ??= signal;
  });

  async function log(step: Step, entryStatus: StatusState, message?: string, error?: { code: string; message: string }) {
    state.step = step;
    upsertSearchAttributes({ [SEARCH_ATTRIBUTES.step]: [step], [SEARCH_ATTRIBUTES.state]: [state.state] });
    await status.recordStatus({
      seq: ++seq,
      deploymentId: input.deploymentId,
      user: input.user,
      uuid: input.uuid,
      app_name: state.app ?? push?.app ?? input.repository.split('/')[1],
      provider: input.provider,
      commit: `${input.repository}/${input.commit}`,
      step,
      status: entryStatus,
      message,
      error,
    });
  }

  await log('received', 'ok', 'Payload stored; deployment queued.');
  await condition(() => push !== undefined);
  state.state = 'succeeded';
  await log('done', 'ok', 'Deployment finished.');
  return { state: state.state };
}
