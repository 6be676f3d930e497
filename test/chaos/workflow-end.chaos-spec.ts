import { seededRandom } from '../support/faulty-receiver';
import { ChaosStack, checkStatusLog, STEP_ORDER } from './chaos-stack';

const DEPLOYMENTS = Number(process.env.CHAOS_DEPLOYMENTS ?? 24);
const LINES = Number(process.env.CHAOS_LINES ?? 4);
/** Where a deployment is terminated: at this step or, when it went past it unseen, the first one seen after. */
const POINTS = ['received', 'fetch', 'inspect', 'upload', 'processing'];

interface Pushed {
  id: string;
  workflowId: string;
}
interface DeploymentRecord {
  _id: string;
  state?: string;
  step?: string;
  error?: { code: string; message: string };
}

/**
 * docs/reliability.md#tenant-isolation-review: deployments terminated in Temporal (as an
 * operator does with `temporal workflow terminate`) at random points of their pipeline, and
 * deployments waiting in or holding their app's release line, while others run on, with two
 * workers sweeping. Every terminated deployment's record closes (`deploy:terminated`, or the end
 * its workflow wrote just before) with a complete status log; every other one succeeds; a line
 * whose deployment at the target was terminated goes on with the next one.
 */
describe('deployments terminated in Temporal at random points', () => {
  const stack = new ChaosStack();
  beforeAll(
    () =>
      stack.start({
        workers: 2,
        processingDelayMs: 1_500,
        processEnv: () => ({ WORKFLOW_SWEEP_INTERVAL: '500ms', WORKFLOW_SWEEP_GRACE: '2s' }),
      }),
    120_000,
  );
  afterAll(() => stack.stop());

  const records = () => stack.db.db('chaos').collection<DeploymentRecord>('deployments');
  const record = (id: string) => records().findOne({ _id: id });
  const terminate = (workflowId: string, why: string) =>
    stack.client.workflow
      .getHandle(workflowId)
      .terminate(why)
      .then(
        () => true,
        () => false, // it had ended already
      );
  /** Terminates the deployment once its record is at `point` or past it; false when it ended first. */
  const terminateAt = async (pushed: Pushed, point: string): Promise<boolean> => {
    for (;;) {
      const now = await record(pushed.id);
      if (now?.step === 'done') return false;
      if (now?.step && STEP_ORDER.indexOf(now.step) >= STEP_ORDER.indexOf(point))
        return terminate(pushed.workflowId, `chaos: terminated at ${now.step}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** Until the record has ended (the sweep closes within its grace and interval); answers it. */
  const ended = async (id: string): Promise<DeploymentRecord> => {
    for (let waited = 0; ; waited += 200) {
      const now = await record(id);
      if (now?.step === 'done' || waited > 60_000) return now!;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  /** checkStatusLog's rules; a deployment terminated before its workflow's first entry has only the sweep's `done`. */
  const checkClosedLog = (entries: Array<{ _id: string; step: string; status: string }>) =>
    entries.length === 1 && entries[0].step === 'done' ? null : checkStatusLog(entries);
  const closedByTheSweepOrItself = (r: DeploymentRecord) => r.state === 'succeeded' || r.error?.code === 'deploy:terminated';

  it(`closes every one of ${DEPLOYMENTS} deployments, half of them terminated mid-pipeline`, async () => {
    const random = seededRandom(30);
    const pushes: Array<Pushed & { point?: string }> = [];
    for (let i = 0; i < DEPLOYMENTS; i++) {
      const repo = `ended-${i}`;
      const answer = await stack.push(repo, await stack.commit(repo), `ended-${i}`);
      expect(answer.status).toBe(202);
      pushes.push({ ...answer.json, point: random() < 0.5 ? POINTS[Math.floor(random() * POINTS.length)] : undefined });
    }
    const terminated = new Set<string>();
    await Promise.all(
      pushes.map(async (p) => {
        if (p.point && (await terminateAt(p, p.point))) terminated.add(p.id);
      }),
    );
    const results = await Promise.all(pushes.map((p) => ended(p.id)));
    const steps = await Promise.all(pushes.map((p) => stack.statusEntries(p.id)));
    const closed = results.filter((r) => terminated.has(r._id) && r.error?.code === 'deploy:terminated');
    console.log(`${terminated.size} of ${DEPLOYMENTS} terminated, ${closed.length} closed deploy:terminated by the sweep`);

    expect(terminated.size).toBeGreaterThan(DEPLOYMENTS / 4);
    expect(closed.length).toBeGreaterThan(0);
    let closedEarly = 0;
    for (const [i, r] of results.entries()) {
      const expected = terminated.has(r._id) ? closedByTheSweepOrItself(r) : r.state === 'succeeded';
      expect([r._id, r.state, r.error?.code, expected]).toEqual([r._id, r.state, r.error?.code, true]);
      if (terminated.has(r._id) && r.error) closedEarly += steps[i].length === 1 ? 1 : 0;
      expect([r._id, checkClosedLog(steps[i])]).toEqual([r._id, null]);
    }
    console.log(`${closedEarly} terminated before their workflow's first status entry (the log is the sweep's done alone)`);
  });

  it(`goes on in each of ${LINES} release lines: a terminated deployment at the target or waiting behind it holds nothing`, async () => {
    const apps: Array<{ atTarget: Pushed; waiting: Pushed; next: Pushed }> = [];
    for (let i = 0; i < LINES; i++) {
      const repo = `ended-line-${i}`;
      const a = await stack.commit(repo);
      const b = await stack.commit(repo, a);
      const c = await stack.commit(repo, b);
      const atTarget = (await stack.push(repo, a, `${repo}-a`)).json as Pushed;
      await terminateAt(atTarget, 'processing');
      // Pushed while the terminated one holds the line: B waits behind it; terminated too, then C.
      const waiting = (await stack.push(repo, b, `${repo}-b`, 0, a)).json as Pushed;
      await terminateAt(waiting, 'fetch');
      const next = (await stack.push(repo, c, `${repo}-c`, 0, b)).json as Pushed;
      apps.push({ atTarget, waiting, next });
    }
    // Well inside the line's own 10-minute check for a vanished deployment (PROBE_MS): the sweep told the line.
    const deadline = new Promise<string>((resolve) => setTimeout(() => resolve('still waiting after 2 minutes'), 120_000).unref());
    for (const { atTarget, waiting, next } of apps) {
      expect(await Promise.race([stack.outcome(next.workflowId), deadline])).toEqual({ state: 'succeeded' });
      for (const gone of [atTarget, waiting]) {
        const r = await ended(gone.id);
        expect([gone.id, closedByTheSweepOrItself(r) || r.state === 'superseded']).toEqual([gone.id, true]);
        expect([gone.id, checkClosedLog(await stack.statusEntries(gone.id))]).toEqual([gone.id, null]);
      }
      expect([next.id, checkStatusLog(await stack.statusEntries(next.id))]).toEqual([next.id, null]);
    }
  });
});
