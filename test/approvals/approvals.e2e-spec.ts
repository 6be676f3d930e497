import { githubHeaders, githubPush } from '../support/payloads';
import { PipelineFixture, waitFor } from '../pipeline/pipeline-fixture';

const ALICE = { username: 'alice', password: 'alice-password-for-tests' };
const BOB = { username: 'bob', password: 'bob-password-for-tests' };
const CAROL = { username: 'carol', password: 'carol-password-for-tests' };

/**
 * Approvals and deploy-now on the real stack (docs/contract.md#approvals): alice's app needs one
 * approval; bob is its approver, carol a viewer. The collaborators are set in the app's record
 * directly (their endpoints are another feature's).
 */
describe('approvals', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await PipelineFixture.start();
    for (const user of [ALICE, BOB, CAROL]) expect((await f.harness.request('POST', '/1/users', { body: user })).status).toBe(201);
  });
  afterAll(() => f.stop());

  async function appWith(settings: Record<string, unknown>): Promise<string> {
    const { repo } = await f.commit();
    const put = await f.harness.request('PUT', `/1/apps/alice/${repo}`, {
      auth: ALICE,
      body: { repository: `octo-org/${repo}`, ...settings },
    });
    expect(put.status).toBe(200);
    await f.harness.db.collection('apps').updateOne(
      { _id: `alice/${repo}` as never },
      {
        $set: {
          collaborators: [
            { user: 'bob', role: 'approver' },
            { user: 'carol', role: 'viewer' },
          ],
        },
      },
    );
    return repo;
  }

  async function push(repo: string, before?: string): Promise<{ id: string; workflowId: string; sha: string }> {
    const { sha } = await f.commit({ repo, parent: before });
    const answer = await f.harness.request('POST', '/1/deploy', {
      auth: ALICE,
      headers: githubHeaders('push'),
      body: githubPush({ repo, sha, before }),
    });
    expect(answer.status).toBe(202);
    return { id: answer.json.id, workflowId: answer.json.workflowId, sha };
  }

  const record = (id: string) => f.harness.db.collection('deployments').findOne({ _id: id as never });
  const waitsIn = (id: string, state: string) => waitFor(async () => (await record(id))?.state === state);
  const decide = (as: typeof BOB, id: string, decision: 'approve' | 'reject', comment?: string) =>
    f.harness.request('POST', `/1/deployments/${id}/${decision}`, { auth: as, body: comment ? { comment } : {} });

  it("bob approves alice's push and it deploys once; alice (self) and carol (viewer) are refused; a second approval is closed", async () => {
    const repo = await appWith({ approval: { required: 1 } });
    const { id, workflowId } = await push(repo);
    await waitsIn(id, 'awaiting_approval');
    expect((await record(id))?.approval).toMatchObject({ required: 1, reviewers: ['alice', 'bob'], decisions: [] });

    // What waits for bob lists it; carol's list does not.
    expect(((await f.harness.request('GET', '/1/approvals', { auth: BOB })).json as Array<{ id: string }>).map((d) => d.id)).toContain(id);
    expect((await f.harness.request('GET', '/1/approvals', { auth: CAROL })).json).toEqual([]);

    const self = await decide(ALICE, id, 'approve');
    expect([self.status, self.json.error]).toEqual([403, 'deploy:approval:self']);
    const viewer = await decide(CAROL, id, 'approve');
    expect([viewer.status, viewer.json.error]).toEqual([403, 'deploy:approval:not_reviewer']);

    const approved = await decide(BOB, id, 'approve', 'Checked the migration.');
    expect([approved.status, approved.json]).toEqual([200, { decision: 'approved', approvals: 1, required: 1, proceeds: true }]);
    const again = await decide(BOB, id, 'approve');
    expect([again.status, again.json.error]).toEqual([409, 'deploy:approval:closed']);

    expect(await f.outcome(workflowId)).toEqual({ state: 'succeeded' });
    const after = await decide(BOB, id, 'approve');
    expect([after.status, after.json.error]).toEqual([409, 'deploy:approval:closed']);
    const steps = await f.steps(id);
    expect(steps.filter((s) => s.step === 'upload' && s.status === 'pending')).toHaveLength(1);
    expect(steps.filter((s) => s.step === 'awaiting_approval').map((s) => s.status)).toEqual(['pending', 'ok']);
    expect((await record(id))?.approval).toMatchObject({
      outcome: 'approved',
      decisions: [{ user: 'bob', decision: 'approved', comment: 'Checked the migration.' }],
    });
  });

  it('a newer push supersedes one waiting for approval, naming it; the newer waits for its own approval', async () => {
    const repo = await appWith({ approval: {} });
    const older = await push(repo);
    await waitsIn(older.id, 'awaiting_approval');
    const newer = await push(repo, older.sha);
    expect(await f.outcome(older.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:superseded' } });
    expect((await record(older.id))?.error?.message).toContain(newer.id);
    expect((await record(older.id))?.state).toBe('superseded');
    const closed = await decide(BOB, older.id, 'approve');
    expect([closed.status, closed.json.error]).toEqual([409, 'deploy:approval:closed']);

    await waitsIn(newer.id, 'awaiting_approval');
    const rejected = await decide(BOB, newer.id, 'reject', 'Not this one.');
    expect([rejected.status, rejected.json.proceeds]).toEqual([200, false]);
    expect(await f.outcome(newer.workflowId)).toMatchObject({ state: 'failed', error: { code: 'deploy:approval:rejected' } });
  });

  it('holds a push during a freeze; carol may not deploy it now, bob may, with a reason', async () => {
    const now = Date.now();
    const freezes = [{ from: new Date(now - 60_000).toISOString(), to: new Date(now + 86_400_000).toISOString(), reason: 'Holidays' }];
    const repo = await appWith({ freezes });
    const { id, workflowId } = await push(repo);
    await waitsIn(id, 'waiting_for_window');
    expect((await record(id))?.window).toMatchObject({ opensAt: freezes[0].to });

    const viewer = await f.harness.request('POST', `/1/deployments/${id}/deploy-now`, { auth: CAROL, body: { reason: 'please' } });
    expect([viewer.status, viewer.json.error]).toEqual([403, 'deploy:approval:not_reviewer']);
    const noReason = await f.harness.request('POST', `/1/deployments/${id}/deploy-now`, { auth: BOB, body: {} });
    expect(noReason.status).toBe(400);
    const now2 = await f.harness.request('POST', `/1/deployments/${id}/deploy-now`, { auth: BOB, body: { reason: 'Hotfix' } });
    expect([now2.status, now2.json]).toEqual([200, { id, proceeds: true }]);
    expect(await f.outcome(workflowId)).toEqual({ state: 'succeeded' });
    expect((await record(id))?.window?.deployedNow).toMatchObject({ user: 'bob', reason: 'Hotfix' });
  });

  it('a newer push supersedes one waiting for a window; only the newest goes', async () => {
    const now = Date.now();
    const freezes = [
      { from: new Date(now - 60_000).toISOString(), to: new Date(now + 86_400_000).toISOString(), reason: 'Release freeze' },
    ];
    const repo = await appWith({ freezes });
    const older = await push(repo);
    await waitsIn(older.id, 'waiting_for_window');
    const newer = await push(repo, older.sha);
    expect(await f.outcome(older.workflowId)).toMatchObject({ state: 'canceled', error: { code: 'deploy:superseded' } });
    expect((await record(older.id))?.error?.message).toContain(newer.id);
    await waitsIn(newer.id, 'waiting_for_window');
    const late = await f.harness.request('POST', `/1/deployments/${older.id}/deploy-now`, { auth: BOB, body: { reason: 'too late' } });
    expect([late.status, late.json.error]).toEqual([409, 'deploy:approval:closed']);
    expect((await f.harness.request('POST', `/1/deployments/${newer.id}/deploy-now`, { auth: ALICE, body: { reason: 'Go' } })).status).toBe(
      200,
    );
    expect(await f.outcome(newer.workflowId)).toEqual({ state: 'succeeded' });
  });

  it('answers 404 to a user who may not read the deployment', async () => {
    const repo = await appWith({ approval: {} });
    const { id } = await push(repo);
    await f.harness.request('POST', '/1/users', { body: { username: 'dave', password: 'dave-password-for-tests' } });
    const stranger = await decide({ username: 'dave', password: 'dave-password-for-tests' }, id, 'approve');
    expect([stranger.status, stranger.json.error]).toEqual([404, 'deployments:not_found']);
  });
});
