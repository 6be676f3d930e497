import { ChaosStack } from './chaos-stack';

const PUSHES = Number(process.env.CHAOS_PUSHES ?? 300);
const CONCURRENCY = 8;

/**
 * The gateway killed with SIGKILL during a burst of webhook deliveries, each delivered twice
 * (GitHub redelivers); the sender retries what failed, as GitHub's redelivery does. Exactly one
 * deployment per push, none lost.
 */
describe('gateway killed during a webhook burst', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ workers: 0 }), 120_000);
  afterAll(() => stack.stop());

  it(`keeps exactly ${PUSHES} deployments for ${PUSHES * 2} deliveries`, async () => {
    const deliveries: Array<{ repo: string; sha: string; delivery: string }> = [];
    for (let i = 0; i < PUSHES; i++) {
      const repo = `burst-${i}`;
      const sha = await stack.commit(repo);
      deliveries.push({ repo, sha, delivery: `d-${i}` }, { repo, sha, delivery: `d-${i}` });
    }
    const answers = new Map<string, Set<string>>();
    let failures = 0;
    let sent = 0;
    let killed = false;
    const deliver = async (d: (typeof deliveries)[number]) => {
      for (;;) {
        const answer = await stack.push(d.repo, d.sha, d.delivery).catch(() => ({ status: 0, json: undefined }));
        if (answer.status === 202) {
          const ids = answers.get(d.delivery) ?? new Set();
          ids.add(answer.json.id);
          answers.set(d.delivery, ids);
          return;
        }
        failures++;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const queue = [...deliveries];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let d = queue.shift(); d; d = queue.shift()) {
          if (++sent === Math.floor(deliveries.length / 3) && !killed) {
            killed = true;
            stack.killGateway();
            setTimeout(() => void stack.startGateway(0), 1_000);
          }
          await deliver(d);
        }
      }),
    );
    console.log(`${deliveries.length} deliveries, ${failures} failed attempts retried while the gateway was down`);

    expect(killed).toBe(true);
    expect(failures).toBeGreaterThan(0);
    expect(answers.size).toBe(PUSHES);
    expect([...answers.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    const deployments = await stack.db.db('chaos').collection('deployments').find().toArray();
    expect(deployments).toHaveLength(PUSHES);
    for (const deployment of deployments) {
      const description = await stack.client.workflow.getHandle(deployment.workflowId).describe();
      expect(description.workflowId).toBe(deployment.workflowId);
    }
  });
});
