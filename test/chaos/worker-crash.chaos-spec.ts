import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

    const outcomes = Promise.all(pushes.map((p) => stack.outcome(p.workflowId)));
    const kills = await killWorkerUntil(stack, outcomes, random, 12);
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

const LINES = Number(process.env.CHAOS_LINES ?? 10);

/**
 * The same worker kills with three pushes of successive commits per app in flight (docs/contract.md#release-lines): ordering holds under SIGKILL. Every app ends with its last commit live, never had two
 * packages at the receiver at once, reached it in commit order, and every skipped deployment
 * ended superseded or stale without uploading.
 */
describe('worker killed while apps have three pushes in flight', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ processingDelayMs: 300 }), 120_000);
  afterAll(() => stack.stop());

  it(`keeps each of ${LINES} release lines in order`, async () => {
    const random = seededRandom(7);
    const apps: Array<{ repo: string; pushes: Array<{ id: string; workflowId: string; sha: string }> }> = [];
    for (let i = 0; i < LINES; i++) {
      const repo = `line-${i}`;
      const shas: string[] = [];
      for (let n = 0; n < 3; n++) shas.push(await stack.commit(repo, shas.at(-1)));
      apps.push({ repo, pushes: [] });
    }
    // Pushes interleaved across apps, each app's in commit order, all in flight together.
    for (let n = 0; n < 3; n++) {
      for (const app of apps) {
        const shas = Object.keys(stack.github.repositories.get(`octo-org/${app.repo}`)!.tarballs);
        const answer = await stack.push(app.repo, shas[n], `${app.repo}-${n}`, 0, shas[n - 1]);
        expect(answer.status).toBe(202);
        app.pushes.push({ id: answer.json.id, workflowId: answer.json.workflowId, sha: shas[n] });
      }
    }

    const all = apps.flatMap((app) => app.pushes);
    const outcomes = Promise.all(all.map((p) => stack.outcome(p.workflowId)));
    const kills = await killWorkerUntil(stack, outcomes, random, 8);
    const results = new Map((await outcomes).map((outcome, i) => [all[i].id, outcome]));
    console.log(`worker killed ${kills} times with ${LINES} apps × 3 pushes in flight`);

    expect(kills).toBeGreaterThan(0);
    for (const app of apps) {
      const last = app.pushes[2];
      expect([app.repo, results.get(last.id)]).toEqual([app.repo, { state: 'succeeded' }]);
      expect([app.repo, readFileSync(join(stack.dir, 'deployed', app.repo, 'index.js'), 'utf8')]).toEqual([app.repo, `// ${last.sha}\n`]);
      expect([app.repo, stack.mostInFlight.get(app.repo)]).toEqual([app.repo, 1]);
      const started = stack.startedInOrder.get(app.repo) ?? [];
      const order = started.map((id) => app.pushes.findIndex((p) => p.id === id));
      expect([app.repo, order]).toEqual([app.repo, [...order].sort((a, b) => a - b)]);
      for (const push of app.pushes.slice(0, 2)) {
        const outcome = results.get(push.id)!;
        if (outcome.state === 'succeeded') continue;
        expect([push.id, outcome.error?.code]).toEqual([push.id, expect.stringMatching(/^deploy:(superseded|stale)$/)]);
        expect([push.id, stack.processed.get(push.id)]).toEqual([push.id, undefined]);
      }
      for (const push of app.pushes) expect([push.id, checkStatusLog(await stack.statusEntries(push.id))]).toEqual([push.id, null]);
    }
  });
});

/** SIGKILLs the worker at random moments (then restarts it) until `outcomes` settle; answers how often. */
async function killWorkerUntil(stack: ChaosStack, outcomes: Promise<unknown>, random: () => number, most: number): Promise<number> {
  let kills = 0;
  let settled = false;
  void outcomes.finally(() => (settled = true)).catch(() => undefined);
  while (!settled && kills < most) {
    await new Promise((r) => setTimeout(r, 1_000 + random() * 3_000));
    if (settled) break;
    stack.killWorker();
    kills++;
    await new Promise((r) => setTimeout(r, 300));
    stack.restartWorker();
  }
  return kills;
}
