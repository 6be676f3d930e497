import { seededRandom } from '../support/faulty-receiver';
import { ChaosStack, checkStatusLog } from './chaos-stack';

const DEPLOYMENTS = Number(process.env.CHAOS_DEPLOYMENTS ?? 50);

/**
 * Worker killed with SIGKILL at random moments (fetch, upload, polling) while deployments run,
 * then restarted: every deployment still succeeds, the receiver processes each once, and each
 * status log has every entry once, in order.
 */
describe('worker killed mid-deployment', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ processingDelayMs: 300 }), 120_000);
  afterAll(() => stack.stop());

  it(`completes all ${DEPLOYMENTS} deployments exactly once`, async () => {
    const random = seededRandom(42);
    const pushes: Array<{ id: string; workflowId: string }> = [];
    for (let i = 0; i < DEPLOYMENTS; i++) {
      const repo = `crash-${i}`;
      const sha = await stack.commit(repo);
      const answer = await stack.push(repo, sha, `delivery-${i}`);
      expect(answer.status).toBe(202);
      pushes.push({ id: answer.json.id, workflowId: answer.json.workflowId });
    }

    let kills = 0;
    const outcomes = Promise.all(pushes.map((p) => stack.outcome(p.workflowId)));
    let settled = false;
    void outcomes.finally(() => (settled = true));
    while (!settled && kills < 12) {
      await new Promise((r) => setTimeout(r, 1_000 + random() * 3_000));
      if (settled) break;
      stack.killWorker();
      kills++;
      await new Promise((r) => setTimeout(r, 300));
      stack.restartWorker();
    }
    const results = await outcomes;
    console.log(`worker killed ${kills} times; receiver processed ${stack.processed.size} packages`);

    expect(kills).toBeGreaterThan(0);
    expect(results.filter((r) => r.state !== 'succeeded')).toEqual([]);
    for (const push of pushes) {
      expect([push.id, stack.processed.get(push.id)]).toEqual([push.id, 1]);
      expect([push.id, checkStatusLog(await stack.statusEntries(push.id))]).toEqual([push.id, null]);
    }
  });
});
