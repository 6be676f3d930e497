import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosStack, checkStatusLog } from '../chaos/chaos-stack';
import { seededRandom } from '../support/faulty-receiver';
import { ADMIN } from '../support/harness';
import { memoryProbeEnv } from '../../tools/stack';
import type { MemoryReading } from '../../tools/stack/memory-probe';

/**
 * The soak (docs/reliability.md#the-soak--npm-run-testsoak; `npm run test:soak`, not in `npm test`): the whole product as real processes
 * for SOAK_MINUTES (default 10) under faults — pushes to 20 apps at a steady rate with
 * redeliveries, out-of-order deliveries and bursts of three, cancels and rollbacks mixed in, worker 0 SIGKILLed
 * every ~30 s, gateway 0 every ~90 s, a receiver behind a flapping proxy — then:
 *  - every push accounted for exactly once (deployed, stale, superseded, canceled, ignored), none
 *    failed, each deployed one processed once by the receiver, none of the skipped ones uploaded;
 *  - the newest commit live on every app (a locked app: its rollback's release);
 *  - every status log numbered without gaps, in order, `done` once (checkStatusLog);
 *  - the RSS after a forced GC of the gateway and the worker that are never killed (gateway 1,
 *    worker 1, taking their share of the traffic throughout) within 20 % of its size after warm-up.
 * Rollbacks, cancels and unlocks go to gateway 1, so a kill never makes one of them ambiguous.
 */
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const APPS = 20;
const PUSH_EVERY_MS = Number(process.env.SOAK_PUSH_INTERVAL_MS ?? 1_500);
const WORKER_KILL_EVERY_MS = 30_000;
const GATEWAY_KILL_EVERY_MS = 90_000;
const RECEIVER_FLAP_EVERY_MS = 40_000;
const RECEIVER_DOWN_MS = 3_000;
const ROLLBACK_EVERY_MS = 60_000;
const UNLOCK_AFTER_MS = 20_000;
const LEAK_TOLERANCE = 0.2;
/** How long deployments may take to end once the traffic and the faults stop. */
const SETTLE_MS = 5 * 60_000;
const TERMINAL = ['succeeded', 'failed', 'canceled', 'superseded', 'stale'];

interface Push {
  app: string;
  sha: string;
  index: number;
  delivery: string;
  before?: string;
  id?: string;
  ignored?: boolean;
  cancelAsked?: boolean;
}
interface App {
  name: string;
  last?: string;
  commits: number;
  mode: 'pushing' | 'draining' | 'locked';
  expectedLive?: { sha: string; index: number };
  rollbacks: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MiB = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const threadHeaps = (memory: MemoryReading) => memory.threadHeaps.map(MiB).join(' + ') || '—';

describe(`soak: ${MINUTES} min of pushes under worker, gateway and receiver faults`, () => {
  const stack = new ChaosStack();
  const probe = (name: 'gateway' | 'worker') => join(stack.dir, `${name}-1.memory.json`);
  beforeAll(
    () =>
      stack.start({
        gateways: 2,
        workers: 2,
        faultRate: 0.1,
        processingDelayMs: 100,
        // Only the processes that live through the run are measured: a killed one starts afresh.
        processEnv: (name, i) => (i === 1 ? memoryProbeEnv(probe(name)) : {}),
      }),
    180_000,
  );
  afterAll(() => stack.stop());

  /** Forces a GC in the measured process and reads its memory afterwards. */
  async function measure(name: 'gateway' | 'worker'): Promise<MemoryReading> {
    const file = probe(name);
    const sent = Date.now();
    (name === 'gateway' ? stack.gateways[1] : stack.workers[1]).child.kill('SIGWINCH');
    for (let i = 0; i < 600; i++) {
      if (existsSync(file)) {
        const memory = JSON.parse(readFileSync(file, 'utf8')) as MemoryReading;
        if (memory.at >= sent) return memory;
      }
      await sleep(100);
    }
    throw new Error(
      `${name} 1 wrote no memory probe to ${file} (is it running with memoryProbeEnv: --expose-gc, the probe preloaded, MEMORY_PROBE_FILE?)`,
    );
  }

  const auth = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
  async function call(gateway: number, method: string, path: string, body?: object): Promise<{ status: number; json: any }> {
    const response = await fetch(`${stack.gatewayUrl(gateway)}${path}`, {
      method,
      headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  }

  it('accounts for every push once, keeps the newest commit live, logs without gaps, and does not leak', async () => {
    const random = seededRandom(16);
    const apps: App[] = Array.from({ length: APPS }, (_, i) => ({ name: `soak-${i}`, commits: 0, mode: 'pushing', rollbacks: [] }));
    for (const app of apps)
      expect((await call(1, 'PUT', `/1/apps/admin/${app.name}`, { repository: `octo-org/${app.name}` })).status).toBe(200);
    const pushes: Push[] = [];
    const counts = {
      redeliveries: 0,
      outOfOrder: 0,
      bursts: 0,
      cancels: 0,
      rollbacks: 0,
      unlocks: 0,
      workerKills: 0,
      gatewayKills: 0,
      receiverDown: 0,
      retriedDeliveries: 0,
    };
    const problems: string[] = [];
    let running = true;
    let gatewayTurn = 0;

    const newCommit = async (app: App): Promise<{ sha: string; index: number; before?: string }> => {
      const before = app.last;
      const sha = await stack.commit(app.name, before);
      app.last = sha;
      return { sha, index: ++app.commits, before };
    };
    /** Delivers a push as GitHub does, to either gateway; a failed attempt is retried (same delivery id) until answered. */
    const deliver = async (push: Push, redelivery = false): Promise<void> => {
      for (;;) {
        const gateway = gatewayTurn++ % 2;
        const answer = await stack
          .push(push.app, push.sha, push.delivery, gateway, push.before)
          .catch(() => ({ status: 0, json: undefined }));
        if (answer.status === 202 || (answer.status === 200 && answer.json?.status === 'ignored')) {
          const id = answer.status === 202 ? (answer.json.id as string) : undefined;
          if (!redelivery) {
            push.id = id;
            push.ignored = id === undefined;
          } else if (id !== undefined && push.id !== undefined && id !== push.id)
            problems.push(`redelivery of ${push.delivery} answered ${id}, first ${push.id}`);
          return;
        }
        if (answer.status >= 400 && answer.status < 500)
          throw new Error(`push ${push.delivery} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
        counts.retriedDeliveries++;
        await sleep(200);
      }
    };
    const remember = (app: App, push: Push) => {
      if (push.id && (!app.expectedLive || push.index > app.expectedLive.index)) app.expectedLive = { sha: push.sha, index: push.index };
    };
    const pushNew = async (app: App): Promise<Push> => {
      const { sha, index, before } = await newCommit(app);
      const push: Push = { app: app.name, sha, index, before, delivery: `${app.name}-${index}` };
      pushes.push(push);
      await deliver(push);
      remember(app, push);
      return push;
    };
    /** Until each record has ended, or the settle budget is spent: answers the ids still open (a stuck record is a finding, not a hang). */
    const waitEnded = async (ids: string[], budgetMs = SETTLE_MS): Promise<string[]> => {
      const deployments = stack.db.db('chaos').collection<{ _id: string; state: string }>('deployments');
      const deadline = Date.now() + budgetMs;
      for (;;) {
        const open = (await deployments.find({ _id: { $in: ids }, state: { $nin: TERMINAL } }, { projection: { _id: 1 } }).toArray()).map(
          (r) => r._id,
        );
        if (open.length === 0 || Date.now() > deadline) return open;
        await sleep(1_000);
      }
    };

    /** Drains an app (no pushes meanwhile), rolls it back to the release before the live one, unlocks it later. */
    const rollBack = async (app: App): Promise<void> => {
      app.mode = 'draining';
      if ((await waitEnded(pushes.filter((p) => p.app === app.name && p.id).map((p) => p.id!))).length) {
        app.mode = 'pushing'; // a record that never ends is reported below; no rollback on top of it
        return;
      }
      const releases = (await call(1, 'GET', `/1/apps/admin/${app.name}/releases?limit=100`)).json as Array<{
        version: number;
        commit: string;
        live: boolean;
      }>;
      const live = releases.find((r) => r.live);
      const target = live && releases.find((r) => r.version < live.version && r.commit !== live.commit);
      if (!target) {
        app.mode = 'pushing';
        return;
      }
      const answer = await call(1, 'POST', `/1/apps/admin/${app.name}/rollback`, { release: target.version });
      if (answer.status !== 202) throw new Error(`rollback of ${app.name} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
      counts.rollbacks++;
      app.mode = 'locked';
      app.rollbacks.push(answer.json.id);
      app.expectedLive = { sha: target.commit, index: app.commits };
      await waitEnded([answer.json.id]);
      await sleep(UNLOCK_AFTER_MS);
      if (!running) return; // stays locked: its rollback's release is what must be live
      expect((await call(1, 'POST', `/1/apps/admin/${app.name}/unlock`)).status).toBe(200);
      counts.unlocks++;
      app.mode = 'pushing';
    };

    const faults = (async () => {
      const start = Date.now();
      let nextWorkerKill = start + WORKER_KILL_EVERY_MS * (0.5 + random());
      let nextGatewayKill = start + GATEWAY_KILL_EVERY_MS * (0.5 + random());
      let nextFlap = start + RECEIVER_FLAP_EVERY_MS * random();
      while (running) {
        await sleep(250);
        const now = Date.now();
        if (now >= nextWorkerKill) {
          stack.killWorker(0);
          counts.workerKills++;
          await sleep(300);
          stack.restartWorker(0);
          nextWorkerKill = now + WORKER_KILL_EVERY_MS * (0.7 + 0.6 * random());
        }
        if (now >= nextGatewayKill) {
          stack.killGateway(0);
          counts.gatewayKills++;
          await sleep(1_000);
          await stack.startGateway(0);
          nextGatewayKill = now + GATEWAY_KILL_EVERY_MS * (0.8 + 0.4 * random());
        }
        if (now >= nextFlap) {
          stack.proxy!.down = true;
          counts.receiverDown++;
          await sleep(RECEIVER_DOWN_MS);
          stack.proxy!.down = false;
          nextFlap = now + RECEIVER_FLAP_EVERY_MS * (0.7 + 0.6 * random());
        }
      }
    })();

    // The traffic: one action per tick on the next app in turn.
    const rollbacks: Promise<void>[] = [];
    const started = Date.now();
    const warmUpAt = started + Math.max(45_000, MINUTES * 60_000 * 0.25);
    let warm: { gateway: MemoryReading; worker: MemoryReading } | undefined;
    let nextRollback = started + ROLLBACK_EVERY_MS / 2;
    let turn = 0;
    while (Date.now() - started < MINUTES * 60_000) {
      const tick = Date.now();
      const app = apps[turn++ % APPS];
      if (app.mode !== 'draining') {
        const roll = random();
        if (roll < 0.1) {
          // Out of order: the child commit's push arrives before its parent's.
          const parent = await newCommit(app);
          const child = await newCommit(app);
          const first: Push = { app: app.name, ...child, delivery: `${app.name}-${child.index}` };
          const second: Push = { app: app.name, ...parent, delivery: `${app.name}-${parent.index}` };
          pushes.push(first, second);
          await deliver(first);
          await deliver(second);
          remember(app, first);
          remember(app, second);
          counts.outOfOrder++;
        } else if (roll < 0.2) {
          // A redelivery of an earlier push of this app that got a deployment, then a new push.
          const earlier = pushes.filter((p) => p.app === app.name && p.id);
          if (earlier.length) {
            await deliver(earlier[Math.floor(random() * earlier.length)], true);
            counts.redeliveries++;
          }
          await pushNew(app);
        } else if (roll < 0.28 && app.mode === 'pushing') {
          // A push canceled right away, then a newer one (so the newest commit still goes live).
          const canceled = await pushNew(app);
          if (canceled.id) {
            const answer = await call(1, 'POST', `/1/deployments/${canceled.id}/cancel`);
            if (![202, 409].includes(answer.status)) problems.push(`cancel of ${canceled.id} answered ${answer.status}`);
            canceled.cancelAsked = true;
            counts.cancels++;
          }
          await pushNew(app);
        } else if (roll < 0.36) {
          // A burst: three successive commits pushed back to back; the line skips the middle ones (superseded).
          for (let n = 0; n < 3; n++) await pushNew(app);
          counts.bursts++;
        } else {
          await pushNew(app);
        }
      }
      if (Date.now() >= nextRollback) {
        const candidate = apps.find((a, i) => a.mode === 'pushing' && a.commits >= 3 && i === Math.floor(random() * APPS));
        if (candidate) rollbacks.push(rollBack(candidate));
        nextRollback = Date.now() + ROLLBACK_EVERY_MS;
      }
      if (!warm && Date.now() >= warmUpAt) warm = { gateway: await measure('gateway'), worker: await measure('worker') };
      await sleep(Math.max(0, PUSH_EVERY_MS - (Date.now() - tick)));
    }
    running = false;
    await faults;
    await Promise.all(rollbacks);
    const trafficSeconds = Math.round((Date.now() - started) / 1000);

    // Settle: every deployment ends (the last kill's retries and the receiver's back-off included).
    const ids = [...new Set([...pushes.filter((p) => p.id).map((p) => p.id!), ...apps.flatMap((a) => a.rollbacks)])];
    for (const id of await waitEnded(ids)) {
      // Named with what Temporal says, so a record left behind by its workflow is told from one still running.
      const workflowId = (await stack.db.db('chaos').collection<{ _id: string; workflowId: string }>('deployments').findOne({ _id: id }))
        ?.workflowId;
      const description = workflowId
        ? await stack.client.workflow
            .getHandle(workflowId)
            .describe()
            .catch((error: Error) => ({ status: { name: error.message } }))
        : undefined;
      problems.push(
        `${id}: record not ended after ${SETTLE_MS / 60_000} min of settling (workflow ${workflowId}: ${description?.status.name})`,
      );
    }
    const settledSeconds = Math.round((Date.now() - started) / 1000);
    const final = { gateway: await measure('gateway'), worker: await measure('worker') };

    const records = new Map(
      (await stack.db.db('chaos').collection<{ _id: string; state: string; error?: { code: string } }>('deployments').find().toArray()).map(
        (r) => [r._id, r],
      ),
    );
    const outcome = { deployed: 0, stale: 0, superseded: 0, canceled: 0, ignored: 0, failed: 0 };
    const seen = new Set<string>();
    for (const push of pushes) {
      if (push.ignored) {
        outcome.ignored++;
        continue;
      }
      const record = records.get(push.id!);
      if (!record) {
        problems.push(`${push.delivery}: no deployment record ${push.id}`);
        continue;
      }
      if (seen.has(push.id!)) problems.push(`${push.delivery}: deployment ${push.id} answered for two pushes`);
      seen.add(push.id!);
      const processed = stack.processed.get(push.id!) ?? 0;
      if (record.state === 'succeeded') outcome.deployed++;
      else if (!TERMINAL.includes(record.state))
        outcome.failed++; // named above as not ended
      else if (record.state === 'stale' || record.state === 'superseded' || record.state === 'canceled') outcome[record.state]++;
      else {
        outcome.failed++;
        problems.push(`${push.delivery}: ${push.id} ended ${record.state} ${record.error?.code ?? ''}`);
      }
      if (record.state === 'succeeded' && processed !== 1) problems.push(`${push.id} succeeded, processed ${processed} times`);
      if ((record.state === 'stale' || record.state === 'superseded') && processed !== 0)
        problems.push(`${push.id} ${record.state}, yet processed ${processed} times`);
      if (record.state === 'canceled' && processed > 1) problems.push(`${push.id} canceled, processed ${processed} times`);
      if (record.state === 'canceled' && !push.cancelAsked) problems.push(`${push.id} canceled, nobody asked`);
    }
    // No deployment beyond those the pushes and rollbacks answered.
    const extra = [...records.keys()].filter((id) => !ids.includes(id));
    if (extra.length) problems.push(`deployments nobody asked for: ${extra.slice(0, 5).join(', ')}`);
    for (const id of apps.flatMap((a) => a.rollbacks)) {
      if (records.get(id)?.state !== 'succeeded') problems.push(`rollback ${id} ended ${records.get(id)?.state}`);
    }
    let statusLogs = 0;
    for (const id of ids) {
      const entries = await stack.statusEntries(id);
      statusLogs++;
      const gap = checkStatusLog(entries);
      if (gap) problems.push(`status log of ${id}: ${gap}`);
    }
    for (const app of apps) {
      const file = join(stack.dir, 'deployed', app.name, 'index.js');
      const live = existsSync(file) ? readFileSync(file, 'utf8') : '(nothing)';
      if (app.expectedLive && live !== `// ${app.expectedLive.sha}\n`)
        problems.push(`${app.name} (${app.mode}): live ${live.trim()}, expected ${app.expectedLive.sha}`);
      if ((stack.mostInFlight.get(app.name) ?? 0) > 1)
        problems.push(`${app.name}: ${stack.mostInFlight.get(app.name)} packages at the receiver at once`);
    }
    const growth = (name: 'gateway' | 'worker') => final[name].rss / warm![name].rss - 1;

    const rows: Array<[string, string]> = [
      ['duration', `${MINUTES} min of traffic (${trafficSeconds} s), all settled at ${settledSeconds} s`],
      ['pushes (distinct deliveries)', `${pushes.length} to ${APPS} apps, one every ${PUSH_EVERY_MS} ms`],
      ['redeliveries / out-of-order pairs / bursts of three', `${counts.redeliveries} / ${counts.outOfOrder} / ${counts.bursts}`],
      ['cancels / rollbacks / unlocks', `${counts.cancels} / ${counts.rollbacks} / ${counts.unlocks}`],
      [
        'worker 0 SIGKILLs / gateway 0 SIGKILLs',
        `${counts.workerKills} / ${counts.gatewayKills} (${counts.retriedDeliveries} delivery attempts retried)`,
      ],
      [
        'receiver faults',
        `${stack.proxy!.faults} injected over ${stack.proxy!.forwarded} forwarded requests, down ${counts.receiverDown}× ${RECEIVER_DOWN_MS / 1000} s`,
      ],
      [
        'pushes: deployed / stale / superseded / canceled / ignored / failed or not ended',
        `${outcome.deployed} / ${outcome.stale} / ${outcome.superseded} / ${outcome.canceled} / ${outcome.ignored} / ${outcome.failed}`,
      ],
      ['status logs checked', `${statusLogs}, receiver packages ${stack.processed.size}`],
      [
        'gateway 1 RSS after GC: warm-up → end',
        warm
          ? `${MiB(warm.gateway.rss)} → ${MiB(final.gateway.rss)} MiB (${(growth('gateway') * 100).toFixed(1)} %), heap ${MiB(warm.gateway.heapUsed)} → ${MiB(final.gateway.heapUsed)} MiB`
          : 'no warm-up measure',
      ],
      [
        'worker 1 RSS after GC: warm-up → end',
        warm
          ? `${MiB(warm.worker.rss)} → ${MiB(final.worker.rss)} MiB (${(growth('worker') * 100).toFixed(1)} %), heap ${MiB(warm.worker.heapUsed)} → ${MiB(final.worker.heapUsed)} MiB, workflow threads' heaps ${threadHeaps(warm.worker)} → ${threadHeaps(final.worker)} MiB, external ${MiB(warm.worker.external)} → ${MiB(final.worker.external)} MiB (array buffers ${MiB(warm.worker.arrayBuffers)} → ${MiB(final.worker.arrayBuffers)}), V8 heaps committed ${MiB(warm.worker.heapsCommitted)} → ${MiB(final.worker.heapsCommitted)} MiB`
          : 'no warm-up measure',
      ],
      ['problems', problems.length ? problems.slice(0, 20).join('; ') : 'none'],
    ];
    console.log(`soak summary\n| measure | value |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`);

    expect(problems).toEqual([]);
    expect(counts.workerKills).toBeGreaterThan(0);
    expect(outcome.deployed).toBeGreaterThan(0);
    expect(warm).toBeDefined();
    expect({ gateway: growth('gateway') <= LEAK_TOLERANCE, worker: growth('worker') <= LEAK_TOLERANCE }).toEqual({
      gateway: true,
      worker: true,
    });
  });
});
