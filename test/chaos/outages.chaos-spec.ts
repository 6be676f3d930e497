import { ADMIN } from '../support/harness';
import { ChaosStack } from './chaos-stack';

const auth = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

/** Reads an NDJSON feed until it closes; answers its lines. */
async function readFeed(url: string): Promise<Array<Record<string, any>>> {
  const response = await fetch(url, { headers: { authorization: auth } });
  const lines: Array<Record<string, any>> = [];
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += Buffer.from(chunk).toString('utf8');
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) lines.push(JSON.parse(line));
    }
  }
  return lines;
}

describe('MongoDB-wire server stopped mid-run', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start(), 120_000);
  afterAll(() => stack.stop());

  it('answers 503, closes feeds with a resume token, and recovers without restarting the apps', async () => {
    const first = await stack.push('before-outage', await stack.commit('before-outage'), 'm-1');
    expect(first.status).toBe(202);
    expect(await stack.outcome(first.json.workflowId)).toEqual({ state: 'succeeded' });
    const feed = readFeed(`${stack.gatewayUrl()}/1/status/admin/changes?since=0`);
    await new Promise((r) => setTimeout(r, 1_000));

    await stack.mongo.process.stop();
    const sha = await stack.commit('during-outage');
    const during = await stack.push('during-outage', sha, 'm-2'); // credentials verified moments ago, so intake reaches the store
    expect([during.status, during.json?.error]).toEqual([503, 'deploy:db:failed_to_store_payload']);
    const lines = await feed; // the feed gives up on a broken change stream after ~30 s
    const last = lines[lines.length - 1];
    expect(last).toMatchObject({ error: expect.stringMatching(/^status:changes:/), seq: expect.any(String) });
    expect(lines.filter((l) => l.deployment === undefined && l.id).length).toBeGreaterThan(0);

    await stack.startMongo();
    let again = { status: 0, json: undefined as any };
    for (let i = 0; i < 30 && again.status !== 202; i++) {
      again = await stack.push('during-outage', sha, 'm-2');
      if (again.status !== 202) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(again.status).toBe(202);
    expect(await stack.outcome(again.json.workflowId)).toEqual({ state: 'succeeded' });
    const resumed = await readFeed(`${stack.gatewayUrl()}/1/status/admin/changes?since=${encodeURIComponent(last.seq)}&timeout=3000`);
    const ids = resumed.filter((l) => l.id).map((l) => l.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.some((id: string) => lines.some((l) => l.id === id))).toBe(false);
  });
});

describe('Temporal unreachable mid-run', () => {
  const stack = new ChaosStack();
  beforeAll(() => stack.start({ processingDelayMs: 8_000 }), 120_000);
  afterAll(() => stack.stop());

  it('answers 503 deploy:temporal:unavailable; running deployments continue when it returns', async () => {
    const running = await stack.push('long-running', await stack.commit('long-running'), 't-1');
    expect(running.status).toBe(202);
    await new Promise((r) => setTimeout(r, 4_000)); // into processing on the receiver

    await stack.temporal.process.stop();
    const refused = await stack.push('while-down', await stack.commit('while-down'), 't-2');
    expect([refused.status, refused.json?.error]).toEqual([503, 'deploy:temporal:unavailable']);

    await stack.startTemporal();
    expect(await stack.outcome(running.json.workflowId)).toEqual({ state: 'succeeded' });
    const after = await stack.push('while-down', await stack.commit('while-down'), 't-3');
    expect(after.status).toBe(202);
    expect(await stack.outcome(after.json.workflowId)).toEqual({ state: 'succeeded' });
  });
});
