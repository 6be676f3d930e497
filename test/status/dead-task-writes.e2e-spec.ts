import { StatusActivitiesService } from '../../libs/pipeline';
import { StatusRepository, toView } from '../../libs/status';
import type { StatusWrite } from '../../workflows/types';
import { Harness } from '../support/harness';

/**
 * Found by the soak (docs/reliability.md#the-soak--npm-run-testsoak): a worker was killed during a push's first workflow task, after
 * that task's local activities had logged `received` (1) and `resolve` (2). Before the task was
 * retried, the app's line signalled `end` (superseded); the retried task saw it, logged
 * `received` again and numbered its `done` 2, the number the dead task had given `resolve`. That
 * write was taken for a repeat: `done` was lost and the record stayed `running` forever, though
 * the workflow had completed. The writes below are the ones that workflow's history shows.
 */
describe('status writes of a workflow task whose worker died', () => {
  let harness: Harness;
  let service: StatusActivitiesService;
  beforeAll(async () => {
    harness = await Harness.start({ gateway: false });
    service = harness.worker!.get(StatusActivitiesService);
  });
  afterAll(() => harness?.stop());

  const write = (deploymentId: string, seq: number, step: StatusWrite['step'], extra: Partial<StatusWrite> = {}): StatusWrite => ({
    seq,
    deploymentId,
    user: 'admin',
    uuid: 'u',
    app_name: 'soak-6',
    provider: 'github',
    commit: 'octo-org/soak-6/2e73d65',
    step,
    status: 'pending',
    ...extra,
  });
  const superseded = {
    status: 'error' as const,
    error: { code: 'deploy:superseded', message: 'A newer deployment went to the target first.' },
  };
  const record = async (id: string) => {
    await harness.db
      .collection('deployments')
      .insertOne({ _id: id, workflowId: `wf-${id}`, user: 'admin', state: 'running', createdAt: new Date() } as never);
  };
  const log = async (id: string) =>
    (await harness.worker!.get(StatusRepository).forDeployment(id)).map((entry) => `${Number(entry._id.split(':')[1])} ${entry.step}`);
  const stateOf = async (id: string) => harness.db.collection('deployments').findOne({ _id: id as never });

  it('logs the retried task’s end after the dead task’s entries, ends the record, and stays idempotent', async () => {
    const id = 'dep_dead_task';
    await record(id);
    // The dead task's local activities.
    await service.recordStatus(write(id, 1, 'received', { status: 'ok' }));
    await service.recordStatus(write(id, 2, 'resolve'));
    // The retried task: `received` again (a repeat), then its end under the number 2.
    await service.recordStatus(write(id, 1, 'received', { status: 'ok' }));
    await service.recordStatus(write(id, 2, 'done', superseded));

    expect(await log(id)).toEqual(['1 received', '2 resolve', '3 done']);
    expect(await stateOf(id)).toMatchObject({ state: 'superseded', step: 'done', seq: 3, endedAt: expect.any(Date) });

    // The end's activity retried (its completion lost): still one `done`.
    await service.recordStatus(write(id, 2, 'done', superseded));
    expect(await log(id)).toEqual(['1 received', '2 resolve', '3 done']);
    // The entry keeps the number its workflow gave it; the API shows the log's own number only.
    const done = (await harness.worker!.get(StatusRepository).forDeployment(id)).at(-1)!;
    expect(done.workflow_seq).toBe(2);
    expect(toView(done)).not.toHaveProperty('workflow_seq');
    expect(toView(done).id).toBe(`${id}:000003`);
  });

  it('renumbers each diverging write after the log’s end, in the order they come', async () => {
    const id = 'dep_dead_task_far';
    await record(id);
    // The dead task went as far as the fetch; the retried one takes another path from 2 on.
    await service.recordStatus(write(id, 1, 'received', { status: 'ok' }));
    await service.recordStatus(write(id, 2, 'resolve'));
    await service.recordStatus(write(id, 3, 'fetch'));
    await service.recordStatus(write(id, 2, 'queued'));
    await service.recordStatus(write(id, 3, 'done', superseded));

    expect(await log(id)).toEqual(['1 received', '2 resolve', '3 fetch', '4 queued', '5 done']);
    expect(await stateOf(id)).toMatchObject({ state: 'superseded', seq: 5 });
  });

  it('a plain repeat of a write adds nothing', async () => {
    const id = 'dep_repeat';
    await record(id);
    await service.recordStatus(write(id, 1, 'received', { status: 'ok' }));
    await service.recordStatus(write(id, 2, 'resolve'));
    await service.recordStatus(write(id, 2, 'resolve'));
    expect(await log(id)).toEqual(['1 received', '2 resolve']);
    expect(await stateOf(id)).toMatchObject({ state: 'running', step: 'resolve', seq: 2 });
  });
});
