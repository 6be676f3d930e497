import { ChaosStack, checkStatusLog } from './chaos-stack';

const DEPLOYMENTS = Number(process.env.CHAOS_DEPLOYMENTS ?? 50);

describe('receiver flapping (50 % of requests fail, half of them after the receiver did the work)', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ faultRate: 0.5 }), 120_000);
  afterAll(() => stack.stop());

  it(`deploys all ${DEPLOYMENTS} through retries, each processed once`, async () => {
    const pushes = [];
    for (let i = 0; i < DEPLOYMENTS; i++) {
      const answer = await stack.push(`flap-${i}`, await stack.commit(`flap-${i}`), `f-${i}`);
      expect(answer.status).toBe(202);
      pushes.push(answer.json);
    }
    const outcomes = await Promise.all(pushes.map((p) => stack.outcome(p.workflowId)));
    console.log(`proxy faults: ${stack.proxy!.faults}, forwarded: ${stack.proxy!.forwarded}`);
    expect(stack.proxy!.faults).toBeGreaterThan(DEPLOYMENTS / 2);
    expect(outcomes.filter((o) => o.state !== 'succeeded')).toEqual([]);
    for (const push of pushes) {
      expect([push.id, stack.processed.get(push.id)]).toEqual([push.id, 1]);
      expect([push.id, checkStatusLog(await stack.statusEntries(push.id))]).toEqual([push.id, null]);
    }
  });

  it('gives up after bounded retries when the receiver is gone, and a later retry succeeds', async () => {
    stack.proxy!.down = true;
    const answer = await stack.push('gone', await stack.commit('gone'), 'g-1');
    const outcome = await stack.outcome(answer.json.workflowId);
    expect(outcome).toMatchObject({ state: 'failed', error: { code: 'deploy:receiver:upload_tarball' } });
    const attempts = (await stack.statusEntries(answer.json.id)).filter(
      (e) => e.step === 'upload' && /Attempt \d+ failed/.test((e as { message?: string }).message ?? ''),
    );
    expect(attempts.length).toBe(9); // UPLOAD_ATTEMPTS - 1 retries logged

    stack.proxy!.down = false;
    const retry = await fetch(`${stack.gatewayUrl()}/1/deployments/${answer.json.id}/retry`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('admin:admin-password-for-tests').toString('base64')}` },
    }).then((r) => r.json() as Promise<{ workflowId: string }>);
    expect(await stack.outcome(retry.workflowId)).toEqual({ state: 'succeeded' });
  });
});
