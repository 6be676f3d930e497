import { ADMIN } from '../support/harness';
import { ChaosStack } from './chaos-stack';

const APPS = Number(process.env.CHAOS_APPROVALS ?? 5);
/** The steps of a held deployment in the order it takes them (docs/contract.md#approvals). */
const ORDER = ['received', 'waiting_for_ci', 'resolve', 'fetch', 'inspect', 'awaiting_approval', 'queued', 'upload', 'processing', 'done'];

/**
 * Approvals under SIGKILL (docs/contract.md#approvals): deployments waiting for approval survive
 * the worker's death (the wait is a durable timer in Temporal, the approval an Update), and an
 * approval whose worker dies while it is applied is applied once: one decision, one upload.
 */
describe('worker killed while deployments await approval', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ processingDelayMs: 100 }), 120_000);
  afterAll(() => stack.stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.gatewayUrl()}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  };
  const records = () =>
    stack.db.db('chaos').collection<{ _id: string; state?: string; approval?: { decisions: unknown[] } }>('deployments');
  async function waitForState(id: string, state: string): Promise<void> {
    for (let waited = 0; (await records().findOne({ _id: id }))?.state !== state; waited += 200) {
      if (waited > 120_000) throw new Error(`${id} never reached ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  /** Approves until the answer is the outcome: a request cut by the dead worker asks again (200 once, or 409 when the first was applied). */
  async function approve(id: string): Promise<number[]> {
    const statuses: number[] = [];
    for (;;) {
      const answer = await call('POST', `/1/deployments/${id}/approve`, { comment: 'chaos' });
      statuses.push(answer.status);
      if (answer.status === 200 || answer.status === 409) return statuses;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  function checkLog(entries: Array<{ _id: string; step: string }>): string | null {
    for (let i = 0; i < entries.length; i++) {
      if (Number(entries[i]._id.split(':').pop()) !== i + 1) return `entry ${i + 1} out of sequence`;
      if (i > 0 && ORDER.indexOf(entries[i].step) < ORDER.indexOf(entries[i - 1].step))
        return `${entries[i].step} after ${entries[i - 1].step}`;
    }
    return entries.filter((e) => e.step === 'done').length === 1 ? null : 'not one done';
  }

  it(`keeps ${APPS} waiting deployments through a worker's death; each approval, its worker killed meanwhile, applies once`, async () => {
    const pushes: Array<{ id: string; workflowId: string }> = [];
    for (let i = 0; i < APPS; i++) {
      const repo = `approval-${i}`;
      const sha = await stack.commit(repo);
      expect((await call('PUT', `/1/apps/admin/${repo}`, { repository: `octo-org/${repo}`, approval: { allowSelf: true } })).status).toBe(
        200,
      );
      const answer = await stack.push(repo, sha, `approval-${i}`);
      expect(answer.status).toBe(202);
      pushes.push({ id: answer.json.id, workflowId: answer.json.workflowId });
    }
    for (const push of pushes) await waitForState(push.id, 'awaiting_approval');

    // Every worker dies while they wait; a new one starts.
    stack.killWorker();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stack.restartWorker();

    // Each approval races a SIGKILL of the worker that applies it.
    for (const [i, push] of pushes.entries()) {
      const approving = approve(push.id);
      await new Promise((resolve) => setTimeout(resolve, (i * 97) % 400));
      stack.killWorker();
      stack.restartWorker();
      const statuses = await approving;
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    }

    const outcomes = await Promise.all(pushes.map((p) => stack.outcome(p.workflowId)));
    expect(outcomes.filter((o) => o.state !== 'succeeded')).toEqual([]);
    for (const push of pushes) {
      expect([push.id, stack.processed.get(push.id)]).toEqual([push.id, 1]);
      expect([push.id, (await records().findOne({ _id: push.id }))?.approval?.decisions]).toEqual([
        push.id,
        [expect.objectContaining({ user: 'admin', decision: 'approved', comment: 'chaos' })],
      ]);
      expect([push.id, checkLog(await stack.statusEntries(push.id))]).toEqual([push.id, null]);
      expect(await call('POST', `/1/deployments/${push.id}/approve`)).toMatchObject({
        status: 409,
        json: { error: 'deploy:approval:closed' },
      });
    }
  });
});
