import { lineWorkflowId } from '../../libs/deployments';
import { lineQuery } from '../../workflows/line.workflow';
import { readdir } from 'node:fs/promises';
import { PipelineFixture, sleep, waitFor } from './pipeline-fixture';
import { gate } from '../support/gate';
import type { DeploymentPackage } from '../../libs/targets';

type Step = { step: string; status: string; message?: string; ts?: string; error?: { code: string; message: string } };

/**
 * Release lines (docs/contract.md#release-lines): each app is one release line. The newest commit wins whatever
 * order pushes arrive in, one deployment at a time is at the target, UNDEPLOY takes its turn,
 * and a cancel through Temporal still ends a deployment cleanly. All on the real stack.
 */
describe('release lines: ordering, one at a time, clean ends', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
    f.github.tokens.set('ghp_line', 'admin-gh');
    expect((await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_line' } })).status).toBe(200);
  });
  afterAll(() => f.stop());
  afterEach(() => {
    f.hooks.execute = undefined;
  });

  const configure = (app: string) => f.configure(app);
  const commit = (repo: string, label: string, parent?: string) => f.labelledCommit(repo, label, parent);
  const live = (app: string) => f.liveLabel(app);
  const steps = (id: string) => f.steps(id) as Promise<Step[]>;
  /** Until the app's line holds (or has ordered past) the deployment. */
  const inLine = async (app: string, deployment: string) => {
    const handle = f.harness.temporal.workflow.getHandle(lineWorkflowId('admin', app, f.harness.config.temporal.taskQueue));
    for (;;) {
      const state = await handle.query(lineQuery).catch(() => undefined);
      if (state?.entries.some((e) => e.deploymentId === deployment) || state?.head?.deploymentId === deployment) return;
      await sleep(50);
    }
  };

  it('keeps the newer commit live when the older push arrives 0.3 s later: the older ends deploy:stale and never uploads', async () => {
    const app = 'order-fast';
    await configure(app);
    const a = await commit(app, 'A');
    const b = await commit(app, 'B', a.sha);
    const newer = await f.push(app, b.sha, { before: a.sha });
    // 0.3 s after the newer push is in the app's line (not after its 202: on a loaded machine the
    // start can take longer than that, and then the older one is first in line and superseded).
    await inLine(app, newer.json.id);
    await sleep(300);
    const older = await f.push(app, a.sha);

    expect(await f.outcome(newer.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.outcome(older.json.workflowId)).toMatchObject({
      state: 'canceled',
      error: { code: 'deploy:stale', message: expect.stringContaining(b.sha.slice(0, 7)) },
    });
    expect(await live(app)).toBe('// B\n');
    const olderSteps = await steps(older.json.id);
    expect(olderSteps.map((s) => s.step)).not.toContain('upload');
    expect(olderSteps.at(-1)).toMatchObject({ step: 'done', status: 'error', error: { code: 'deploy:stale' } });
  });

  it("keeps the newer commit live when the older push arrives 5 s later, ordered by GitHub's compare API when the pushes do not tell", async () => {
    const app = 'order-slow'; // not configured: the app is known after resolve
    const a = await commit(app, 'A');
    const b = await commit(app, 'B', a.sha);
    const newer = await f.push(app, b.sha); // no `before`: only GitHub can tell how A and B relate
    const pushedAt = Date.now();
    expect(await f.outcome(newer.json.workflowId)).toEqual({ state: 'succeeded' });
    await sleep(Math.max(0, 5_000 - (Date.now() - pushedAt)));
    const older = await f.push(app, a.sha);

    expect(await f.outcome(older.json.workflowId)).toMatchObject({
      state: 'canceled',
      error: { code: 'deploy:stale', message: expect.stringContaining(b.sha.slice(0, 7)) },
    });
    expect(await live(app)).toBe('// B\n');
    expect((await steps(older.json.id)).map((s) => s.step)).not.toContain('upload');
    expect(f.github.requests.some((r) => r.url.startsWith(`/repos/octo-org/${app}/compare/${b.sha}...${a.sha}`))).toBe(true);
  });

  it('five pushes of successive commits in a second: never two at the receiver, the last one live, the skipped ones deploy:superseded', async () => {
    const app = 'five-pushes';
    await configure(app);
    const commits: Array<{ sha: string }> = [];
    for (let i = 1; i <= 5; i++) commits.push(await commit(app, `C${i}`, commits.at(-1)?.sha));

    // The receiver's own record of overlapping work: packages of the app between start and end of processing.
    let inFlight = 0;
    let most = 0;
    const processed: string[] = [];
    const { held, open: release } = gate();
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name !== app) return;
      most = Math.max(most, ++inFlight);
      processed.push(pkg._doc);
      await held; // the first stays at the target until the others have queued behind it
      await sleep(200);
      inFlight--;
    };
    const pushes: Array<{ id: string; workflowId: string }> = [];
    for (const [i, c] of commits.entries()) pushes.push((await f.push(app, c.sha, { before: commits[i - 1]?.sha })).json);
    const last = pushes.at(-1)!;
    // Whichever became ready first is at the target (held); every other one waits in the line or has ended.
    await waitFor(async () => processed.length > 0);
    const others = pushes.filter((p) => p.id !== processed[0]);
    await waitFor(async () => {
      for (const p of others) if (!(await steps(p.id)).some((s) => s.step === 'queued' || s.step === 'done')) return false;
      return true;
    });
    release();

    const outcomes = await Promise.all(pushes.map((p) => f.outcome(p.workflowId)));
    expect(outcomes.at(-1)).toEqual({ state: 'succeeded' });
    expect(most).toBe(1);
    expect(await live(app)).toBe('// C5\n');
    const skipped = pushes.filter((_, i) => outcomes[i].state !== 'succeeded');
    expect(skipped.length).toBeGreaterThan(0);
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.state !== 'succeeded')
        expect([i, outcome]).toEqual([
          i,
          expect.objectContaining({ state: 'canceled', error: expect.objectContaining({ code: 'deploy:superseded' }) }),
        ]);
    }
    // What reached the target went in commit order, and no skipped one reached it.
    const order = processed.map((id) => pushes.findIndex((p) => p.id === id));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(skipped.filter((p) => processed.includes(p.id))).toEqual([]);
    // The queued step names the deployment it waited for; the last commit, when it waited, went next.
    for (const p of others) {
      const queued = (await steps(p.id)).filter((s) => s.step === 'queued');
      if (queued.length)
        expect([p.id, queued[0]]).toEqual([
          p.id,
          expect.objectContaining({
            status: 'pending',
            message: expect.stringMatching(new RegExp(`Waiting for deployment ${processed[0]}`)),
          }),
        ]);
    }
    if (processed[0] !== last.id) expect((await steps(last.id)).filter((s) => s.step === 'queued').at(-1)).toMatchObject({ status: 'ok' });
  });

  it('a forced push (diverged history) wins by its later push time, whichever order the webhooks arrive in', async () => {
    const app = 'forced';
    await configure(app);
    const base = await commit(app, 'base');
    const old = await commit(app, 'old', base.sha);
    const rewritten = await commit(app, 'rewritten', base.sha); // diverged from `old`
    const now = Math.floor(Date.now() / 1000);
    const first = await f.push(app, old.sha, { before: base.sha, pushedAt: now - 60 });
    expect(await f.outcome(first.json.workflowId)).toEqual({ state: 'succeeded' });
    const forced = await f.push(app, rewritten.sha, { before: old.sha, forced: true, pushedAt: now });
    expect(await f.outcome(forced.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await live(app)).toBe('// rewritten\n');

    // Delivered late, a push from before the force-push is stale.
    const other = await commit(app, 'other', base.sha);
    const late = await f.push(app, other.sha, { before: base.sha, pushedAt: now - 30 });
    expect(await f.outcome(late.json.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:stale' } });
    expect(await live(app)).toBe('// rewritten\n');
  });

  it('UNDEPLOY waits its turn behind the deployment at the target, and ends the deployments asked meanwhile', async () => {
    const app = 'undeploy-line';
    await configure(app); // on the shared default target: the reference receiver
    const first = await commit(app, 'first');
    const { held, open: release } = gate();
    const atTarget: string[] = [];
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name !== app) return;
      atTarget.push(`${pkg.operation} ${pkg._doc}`);
      if (pkg.operation === 'DEPLOY') await held;
    };
    const deploying = await f.push(app, first.sha);
    await waitFor(async () => atTarget.length > 0);
    const undeploy = await f.harness.request('POST', `/1/apps/admin/${app}/undeploy`);
    expect(undeploy.status).toBe(202);
    await waitFor(async () => (await steps(undeploy.json.id)).some((s) => s.step === 'queued'));
    const second = await commit(app, 'second', first.sha);
    const meanwhile = await f.push(app, second.sha, { before: first.sha });
    expect(await f.outcome(meanwhile.json.workflowId)).toMatchObject({
      state: 'canceled',
      error: { code: 'deploy:canceled', message: expect.stringContaining('being removed') },
    });
    release();

    expect(await f.outcome(deploying.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.outcome(undeploy.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(atTarget).toEqual([`DEPLOY ${deploying.json.id}`, `UNDEPLOY ${undeploy.json.id}`]);
    // Its own workflow type, and no commit marked "Deployed" by a removal.
    expect((await f.harness.temporal.workflow.getHandle(undeploy.json.workflowId).describe()).type).toBe('undeployment');
    expect(f.github.statuses.filter((s) => s.target_url?.endsWith(`/1/deployments/${undeploy.json.id}`))).toEqual([]);
    const queued = (await steps(undeploy.json.id)).filter((s) => s.step === 'queued');
    expect(queued[0]).toMatchObject({ status: 'pending', message: expect.stringContaining(deploying.json.id) });
    await expect(live(app)).rejects.toThrow();
  });

  it("UNDEPLOY names what it removes at its turn: asked while the app's deployment is processing at the target, that deployment and its commit", async () => {
    const app = 'undeploy-names';
    await configure(app);
    const only = await commit(app, 'only');
    const { held, open: release } = gate();
    const received: DeploymentPackage[] = [];
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name !== app) return;
      received.push(pkg);
      if (pkg.operation === 'DEPLOY') await held;
    };
    const deploying = await f.push(app, only.sha);
    await waitFor(async () => received.length > 0); // its last step: processing at the receiver
    const undeploy = await f.harness.request('POST', `/1/apps/admin/${app}/undeploy`);
    expect(undeploy.status).toBe(202);
    await waitFor(async () => (await steps(undeploy.json.id)).some((s) => s.step === 'queued'));
    release();

    expect(await f.outcome(deploying.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(await f.outcome(undeploy.json.workflowId)).toEqual({ state: 'succeeded' });
    expect(received.find((pkg) => pkg.operation === 'UNDEPLOY')).toMatchObject({
      _doc: undeploy.json.id,
      commit: only.sha,
      records: [{ _doc: deploying.json.id, operation: 'UNDEPLOY', ref: deploying.json.id }],
    });
    const asked = (await steps(undeploy.json.id)).find((s) => s.step === 'upload' && s.status === 'pending');
    expect(asked?.message).toBe(`Asking the target to remove ${app} (deployed by ${deploying.json.id}, commit ${only.sha}).`);
    const record = (await f.harness.request('GET', `/1/deployments/${undeploy.json.id}`)).json;
    expect(record.commit).toBe(only.sha);
  });

  it('a cancel through Temporal (workflow cancel) still logs the step and done, sets the commit status and frees the blob', async () => {
    const app = 'temporal-cancel';
    await configure(app);
    const c = await commit(app, 'C');
    const { held, open: release } = gate();
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name === app) await held;
    };
    const pushed = await f.push(app, c.sha);
    await waitFor(async () => (await steps(pushed.json.id)).some((s) => s.step === 'processing'));
    await f.harness.temporal.workflow.getHandle(pushed.json.workflowId).cancel(); // as `temporal workflow cancel` does
    const outcome = await f.outcome(pushed.json.workflowId);
    release();

    expect(outcome).toMatchObject({ state: 'canceled', error: { code: 'deploy:canceled' } });
    const log = await steps(pushed.json.id);
    expect(log.slice(-2)).toMatchObject([
      { step: 'processing', status: 'error', error: { code: 'deploy:canceled' } },
      { step: 'done', status: 'error', error: { code: 'deploy:canceled' } },
    ]);
    expect(f.github.statuses.filter((s) => s.sha === c.sha).map((s) => s.state)).toEqual(['pending', 'failure']);
    expect((await readdir(f.harness.config.blobs.dir).catch(() => [])).filter((name) => name.includes(pushed.json.id))).toEqual([]);

    // The line is free again: the next push deploys.
    const next = await commit(app, 'next', c.sha);
    const after = await f.push(app, next.sha, { before: c.sha });
    expect(await f.outcome(after.json.workflowId)).toEqual({ state: 'succeeded' });
  });

  it("keeps ordering across the line's continue-as-new", async () => {
    const app = 'long-line';
    await configure(app);
    const lineId = lineWorkflowId('admin', app, f.harness.config.temporal.taskQueue);
    // Started ahead of the app's first deployment, continuing as new every 4 events (1000 in production).
    const first = await f.harness.temporal.workflow.start('line', {
      workflowId: lineId,
      taskQueue: f.harness.config.temporal.taskQueue,
      args: [{ user: 'admin', app, eventsPerRun: 4 }],
    });
    const commits: Array<{ sha: string }> = [];
    for (let i = 1; i <= 3; i++) {
      commits.push(await commit(app, `L${i}`, commits.at(-1)?.sha));
      const pushed = await f.push(app, commits[i - 1].sha, { before: commits[i - 2]?.sha });
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    }
    const now = await f.harness.temporal.workflow.getHandle(lineId).describe();
    expect(now.runId).not.toBe(first.firstExecutionRunId); // each deployment is three events: it continued as new
    // After the continue-as-new the line still knows L3 is the newest: a push of older history is stale.
    const again = await commit(app, 'L2-again', commits[0].sha); // diverged from L3, pushed earlier
    const late = await f.push(app, again.sha, { before: commits[0].sha, pushedAt: Math.floor(Date.now() / 1000) - 3600 });
    expect(await f.outcome(late.json.workflowId)).toMatchObject({
      state: 'canceled',
      error: { code: 'deploy:stale', message: expect.stringContaining(commits[2].sha.slice(0, 7)) },
    });
    expect(await live(app)).toBe('// L3\n');
  });
});
