import { HealthEndpoint } from '../support/health-endpoint';
import { PipelineFixture, waitFor } from '../pipeline/pipeline-fixture';
import { Subscriber } from '../pipeline/subscriber';

type Release = { version: number; commit: string; cause: string; by: string; live: boolean; rolledBackTo?: number; delivered?: string };
type RunApp = {
  app: string;
  state: string;
  before?: { version: number; commit: string } | null;
  release?: number;
  deploymentId?: string;
  compensation?: { deploymentId: string; rolledBackTo?: number; automatic?: boolean };
  after?: { version: number; commit: string } | null;
  error?: { code: string };
  why?: string;
};
type Run = { id: string; state: string; reason?: string; stages: Array<{ apps: RunApp[] }> };

/**
 * Release pipelines (docs/contract.md#release-pipelines) on the real stack: three stages of apps
 * of one repository on the reference receiver (files checked on disk). A good release reaches
 * every app; one whose health check fails in stage 2 is compensated: every app of stages 1 and 2
 * back on its previous release, stage 3 untouched, and the run's report says so.
 */
describe('release pipelines: waves and compensation', () => {
  let f: PipelineFixture;
  let health: HealthEndpoint;
  let subscriber: Subscriber;
  const repo = `pl-${Date.now().toString(36)}`;
  const source = `${repo}-src`;
  // A name with a dot in stage 3: the run record's field paths must not read it as nesting.
  const stages = [[`${repo}-a1`, `${repo}-a2`], [`${repo}-b1`, `${repo}-b2`], [`${repo}.c1`]];
  const all = stages.flat();
  const commits: Record<string, string> = {};

  const releases = async (app: string): Promise<Release[]> =>
    (await f.harness.request('GET', `/1/apps/admin/${app}/releases?limit=100`)).json;
  const live = async (app: string) => (await releases(app)).find((r) => r.live);
  const run = async (id: string): Promise<Run> => (await f.harness.request('GET', `/1/pipelines/admin/${repo}/runs/${id}`)).json;
  const ended = async (id: string): Promise<Run> => {
    await waitFor(async () => ['succeeded', 'failed'].includes((await run(id)).state), 240_000);
    return run(id);
  };
  const appsOf = (r: Run) => Object.fromEntries(r.stages.flatMap((s) => s.apps).map((a) => [a.app, a]));

  beforeAll(async () => {
    health = await new HealthEndpoint().start();
    subscriber = await new Subscriber().start();
    f = await PipelineFixture.start();
    f.github.tokens.set('ghp_pipelines', 'admin-gh');
    expect((await f.harness.request('POST', '/1/auth/github', { body: { credentials: 'admin-gh:ghp_pipelines' } })).status).toBe(200);
    const put = (app: string, body: object) =>
      f.harness.request('PUT', `/1/apps/admin/${app}`, { body: { repository: `octo-org/${repo}`, ...body } });
    expect((await put(source, {})).status).toBe(200);
    // The stages' apps deploy pushes to `release` only: the source's pushes to main reach them through the pipeline.
    for (const app of all) {
      const healthCheck =
        app === stages[1][1] ? { url: health.url, interval: '1s', timeout: '1s', bake: '3s', failureThreshold: 2 } : undefined;
      const answer = await put(app, {
        deployOn: { branch: 'release' },
        retain: app !== stages[0][1],
        ...(healthCheck ? { healthCheck } : {}),
      });
      expect(answer.status).toBe(200);
    }
    commits.OLD = (await f.labelledCommit(repo, 'OLD')).sha;
    expect((await f.push(repo, commits.OLD, { ref: 'refs/heads/release' })).status).toBe(202);
    for (const app of all) await waitFor(async () => (await live(app))?.commit === commits.OLD, 60_000);
    commits.NEW = (await f.labelledCommit(repo, 'NEW', commits.OLD)).sha;
    expect((await f.push(repo, commits.NEW)).status).toBe(202);
    await waitFor(async () => (await live(source))?.commit === commits.NEW, 60_000);
    const events = ['pipeline.started', 'pipeline.succeeded', 'pipeline.failed', 'pipeline.compensated'];
    expect(
      (await f.harness.request('POST', `/1/apps/admin/${source}/notifications`, { body: { url: subscriber.url, events } })).status,
    ).toBe(201);
  }, 180_000);
  afterAll(async () => {
    await f?.stop();
    await health?.stop();
    await subscriber?.stop();
  });

  it('refuses stages naming an unknown app, an app twice, the source, or an app of another repository', async () => {
    const put = (body: object) => f.harness.request('PUT', `/1/pipelines/admin/bad`, { body });
    expect((await f.harness.request('PUT', `/1/apps/admin/${repo}-other`, { body: { repository: 'octo-org/other' } })).status).toBe(200);
    for (const stagesOf of [[['nope']], [[stages[0][0]], [stages[0][0]]], [[source]], [[`${repo}-other`]]]) {
      const answer = await put({ source, stages: stagesOf.map((apps) => ({ apps })) });
      expect([JSON.stringify(stagesOf), answer.status, answer.json.error]).toEqual([JSON.stringify(stagesOf), 400, 'pipelines:bad_stages']);
    }
    expect((await put({ source, stages: [{ apps: [stages[0][0]], approval: 'yes' }] })).json.error).toBe('pipelines:bad_stages');
    expect((await put({ source, stages: [] })).json.error).toBe('request:invalid');
    expect((await f.harness.request('GET', '/1/pipelines/admin/bad')).json.error).toBe('pipelines:not_found');
  });

  it('stores, lists, reads and deletes a pipeline', async () => {
    const body = { source, stages: stages.map((apps) => ({ apps })) };
    const put = await f.harness.request('PUT', `/1/pipelines/admin/${repo}`, { body });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ user: 'admin', name: repo, source, repository: `octo-org/${repo}`, stages: body.stages });
    expect((await f.harness.request('GET', `/1/pipelines/admin/${repo}`)).json).toEqual(put.json);
    expect((await f.harness.request('PUT', `/1/pipelines/admin/${repo}-gone`, { body })).status).toBe(200);
    expect((await f.harness.request('GET', '/1/pipelines/admin')).json.map((p: { name: string }) => p.name)).toEqual([
      repo,
      `${repo}-gone`,
    ]);
    expect((await f.harness.request('DELETE', `/1/pipelines/admin/${repo}-gone`)).status).toBe(204);
    expect((await f.harness.request('GET', `/1/pipelines/admin/${repo}-gone`)).status).toBe(404);
  });

  it('a good release reaches every app, stage by stage (cause pipeline); a second run meanwhile is refused', async () => {
    const started = await f.harness.request('POST', `/1/pipelines/admin/${repo}/runs`, { body: {} });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ state: 'running', release: { version: 1, commit: commits.NEW } });
    const second = await f.harness.request('POST', `/1/pipelines/admin/${repo}/runs`, { body: {} });
    expect([second.status, second.json.error]).toEqual([409, 'pipelines:run_in_progress']);

    const done = await ended(started.json.id);
    expect(done.state).toBe('succeeded');
    for (const app of all) {
      expect(await f.liveLabel(app)).toBe('// NEW\n');
      expect(await live(app)).toMatchObject({ version: 2, commit: commits.NEW, cause: 'pipeline', by: `pipeline:${repo}` });
      expect(appsOf(done)[app]).toMatchObject({ state: 'promoted', before: { version: 1, commit: commits.OLD }, release: 2 });
    }
    // Stage by stage: no app of a stage went live before every app of the stage before it.
    const at = async (app: string) =>
      Date.parse((await f.harness.request('GET', `/1/deployments/${appsOf(done)[app].deploymentId}`)).json.createdAt);
    for (let stage = 1; stage < stages.length; stage++)
      for (const app of stages[stage]) for (const earlier of stages[stage - 1]) expect(await at(app)).toBeGreaterThan(await at(earlier));
    const listed = await f.harness.request('GET', `/1/pipelines/admin/${repo}/runs`);
    expect(listed.json.map((r: Run) => r.id)).toEqual([started.json.id]);
    // The source's subscribers: the run started and succeeded.
    await waitFor(async () => subscriber.of('pipeline.succeeded').length === 1);
    expect(subscriber.of('pipeline.started')).toHaveLength(1);
    expect(JSON.parse(subscriber.of('pipeline.succeeded')[0].body)).toMatchObject({ deployment: { id: started.json.id, app: source } });
    const unknown = await f.harness.request('GET', `/1/pipelines/admin/${repo}/runs/run_nope`);
    expect([unknown.status, unknown.json.error]).toEqual([404, 'pipelines:run_not_found']);
  }, 300_000);

  it('a release failing its health check in stage 2 leaves stages 1 and 2 on their previous release and stage 3 untouched; the report says so', async () => {
    commits.BAD = (await f.labelledCommit(repo, 'BAD', commits.NEW)).sha;
    expect((await f.push(repo, commits.BAD, { before: commits.NEW })).status).toBe(202);
    await waitFor(async () => (await live(source))?.commit === commits.BAD, 60_000);
    health.status = 500;

    const started = await f.harness.request('POST', `/1/pipelines/admin/${repo}/runs`, { body: {} });
    expect(started.status).toBe(202);
    const done = await ended(started.json.id);
    expect(done.state).toBe('failed');
    expect(done.reason).toContain('Stage 2 failed (deploy:health:failed)');

    // On disk: every app of stages 1 and 2 has the release it had before the run; stage 3 was never touched.
    for (const app of all) expect([app, await f.liveLabel(app)]).toEqual([app, '// NEW\n']);
    const report = appsOf(done);
    const before = { version: 2, commit: commits.NEW };
    for (const app of [...stages[0], stages[1][0]]) {
      expect(report[app]).toMatchObject({
        state: 'compensated',
        before,
        release: 3,
        compensation: { rolledBackTo: 2 },
        after: { version: 4, commit: commits.NEW },
      });
      expect(await live(app)).toMatchObject({
        version: 4,
        commit: commits.NEW,
        cause: 'rollback',
        rolledBackTo: 2,
        by: `pipeline:${repo}`,
      });
      // The compensation does not lock the app: it is as it was before the run.
      expect((await f.harness.request('GET', `/1/apps/admin/${app}`)).json.locked).toBeUndefined();
    }
    // Where the receiver retains the release, the compensation activated it; the app without `retain` got its upload.
    expect((await live(stages[0][0]))?.delivered).toBe('activate');
    expect((await live(stages[0][1]))?.delivered).toBe('upload');
    const failed = stages[1][1];
    expect(report[failed]).toMatchObject({
      state: 'compensated',
      before,
      error: { code: 'deploy:health:failed' },
      compensation: { automatic: true, rolledBackTo: 2 },
      after: { version: 3, commit: commits.NEW },
    });
    expect(await live(failed)).toMatchObject({ version: 3, cause: 'auto-rollback', rolledBackTo: 2 });
    const untouched = stages[2][0];
    expect(report[untouched]).toMatchObject({ state: 'untouched', why: expect.stringContaining('not reached') });
    expect(report[untouched].deploymentId).toBeUndefined();
    expect((await releases(untouched)).map((r) => r.version)).toEqual([2, 1]);
    await waitFor(async () => subscriber.of('pipeline.failed').length === 1);
    expect(subscriber.of('pipeline.compensated')).toHaveLength(1);
  }, 300_000);

  it("a stage with approval waits for an approver of its apps, not the run's author; another approver sends it on", async () => {
    const BOB = { username: 'bob', password: 'bob-password-1' };
    expect((await f.harness.request('POST', '/1/users', { body: BOB })).status).toBe(201);
    const gated = stages[2][0];
    expect((await f.harness.request('PUT', `/1/apps/admin/${gated}/collaborators/bob`, { body: { role: 'approver' } })).status).toBe(200);
    expect((await f.harness.request('PUT', `/1/apps/admin/${source}/collaborators/bob`, { body: { role: 'viewer' } })).status).toBe(200);
    const name = `${repo}-gated`;
    const body = { source, stages: [{ apps: [gated], approval: true }] };
    expect((await f.harness.request('PUT', `/1/pipelines/admin/${name}`, { body })).status).toBe(200);
    const started = await f.harness.request('POST', `/1/pipelines/admin/${name}/runs`, { body: {} });
    expect(started.status).toBe(202);
    const path = `/1/pipelines/admin/${name}/runs/${started.json.id}`;
    await waitFor(async () => (await f.harness.request('GET', path)).json.state === 'awaiting_approval');
    expect((await f.harness.request('GET', path)).json.approval).toMatchObject({ stage: 0, reviewers: ['admin', 'bob'], required: 1 });
    expect(await f.liveLabel(gated)).toBe('// NEW\n'); // nothing of the stage deploys while it waits
    const self = await f.harness.request('POST', `${path}/approve`, { body: {} });
    expect([self.status, self.json.error]).toEqual([403, 'deploy:approval:self']);
    const approved = await f.harness.request('POST', `${path}/approve`, { auth: BOB, body: { comment: 'Go.' } });
    expect([approved.status, approved.json]).toEqual([200, { decision: 'approved', approvals: 1, required: 1, proceeds: true }]);
    await waitFor(async () => (await f.harness.request('GET', path)).json.state === 'succeeded', 120_000);
    expect(await f.liveLabel(gated)).toBe('// BAD\n');
    const late = await f.harness.request('POST', `${path}/approve`, { auth: BOB, body: {} });
    expect([late.status, late.json.error]).toEqual([409, 'deploy:approval:closed']);
  }, 180_000);
});
