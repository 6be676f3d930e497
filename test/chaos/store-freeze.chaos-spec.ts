import { ChaosStack, checkStatusLog } from './chaos-stack';

const DEPLOYMENTS = Number(process.env.CHAOS_FREEZE_DEPLOYMENTS ?? 20);
const FREEZE_MS = Number(process.env.CHAOS_FREEZE_MS ?? 60_000);

async function pushMany(stack: ChaosStack, prefix: string): Promise<Array<{ id: string; workflowId: string }>> {
  const pushes: Array<{ id: string; workflowId: string }> = [];
  for (let i = 0; i < DEPLOYMENTS; i++) {
    const repo = `${prefix}-${i}`;
    const answer = await stack.push(repo, await stack.commit(repo), `${prefix}-delivery-${i}`);
    expect(answer.status).toBe(202);
    pushes.push({ id: answer.json.id, workflowId: answer.json.workflowId });
  }
  return pushes;
}

/** Every deployment succeeded, reached the receiver once, and logged every entry once, in order. */
async function expectAllDeployed(stack: ChaosStack, pushes: Array<{ id: string; workflowId: string }>): Promise<void> {
  const results = await Promise.all(pushes.map((p) => stack.outcome(p.workflowId)));
  const notSucceeded = results.flatMap((result, i) => (result.state === 'succeeded' ? [] : [{ deployment: pushes[i].id, ...result }]));
  expect(notSucceeded).toEqual([]);
  for (const push of pushes) {
    expect([push.id, stack.processed.get(push.id)]).toEqual([push.id, 1]);
    expect([push.id, checkStatusLog(await stack.statusEntries(push.id))]).toEqual([push.id, null]);
  }
}

/**
 * The MongoDB-wire server frozen (SIGSTOP: it keeps its connections but answers nothing, like a
 * store stalled by a long failover or a full disk) for a minute while deployments run, then
 * resumed (SIGCONT): every deployment rides it out and succeeds, each package reaches the
 * receiver once, and each status log has every entry once, in order (docs/reliability.md,
 * "MongoDB stalls").
 */
describe('MongoDB-wire server frozen mid-run', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ processingDelayMs: 2_000 }), 120_000);
  afterAll(async () => {
    stack.mongo?.process.child.kill('SIGCONT'); // never leave a stopped JVM behind a failed test
    await stack.stop();
  });

  it(`completes all ${DEPLOYMENTS} deployments through a ${FREEZE_MS / 1000} s freeze`, async () => {
    const pushes = await pushMany(stack, 'freeze');
    await new Promise((r) => setTimeout(r, 1_000)); // deployments in every step: resolving, fetching, at the receiver
    expect(stack.mongo.process.child.kill('SIGSTOP')).toBe(true);
    await new Promise((r) => setTimeout(r, FREEZE_MS));
    stack.mongo.process.child.kill('SIGCONT');
    await expectAllDeployed(stack, pushes);
  });
});

/**
 * The MongoDB-wire server stopped for a minute while deployments run, then started again on its
 * files: a store that refuses at once (not one that hangs) is ridden out as well; its failures
 * come fast, so the steps' usual retries alone would give up within seconds.
 */
describe('MongoDB-wire server down for a minute mid-run', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ processingDelayMs: 2_000 }), 120_000);
  afterAll(() => stack.stop());

  it(`completes all ${DEPLOYMENTS} deployments through a ${FREEZE_MS / 1000} s outage`, async () => {
    const pushes = await pushMany(stack, 'outage');
    await stack.mongo.process.stop(); // at once: the last pushes' deployments are resolving
    await new Promise((r) => setTimeout(r, FREEZE_MS));
    await stack.startMongo();
    await expectAllDeployed(stack, pushes);
  });
});
