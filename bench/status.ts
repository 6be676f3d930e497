import { Db } from 'mongodb';
import { cursorAt } from '../libs/status/changes-cursor';
import { StatusEntry } from '../libs/status/status-entry';
import { STATUS_COLLECTION, StatusRepository } from '../libs/status/status.repository';
import { atMost, basic, BenchStack, http, info, round, Row, summary } from './lib';

const USERS = 1_000;
/** Entries at which the status query is measured (item 3); loaded with bulk inserts, not the API. */
export const STATUS_CURVE = (process.env.BENCH_STATUS_CURVE ?? '100000,300000,1000000').split(',').map(Number);
const BATCH = 5_000;
const PARALLEL = 2;
const QUERIES = Number(process.env.BENCH_STATUS_QUERIES ?? 50);
const PATH = (user: string) => `/1/status/${user}/webhooks?limit=10&skip=20`;

/** Loads entries from `from` up to `to` (PARALLEL bulk inserts in flight), or until the deadline; answers how many there are. */
async function load(db: Db, from: number, to: number, deadline: number): Promise<number> {
  const entries = db.collection<StatusEntry>(STATUS_COLLECTION);
  const base = Date.now() - 30 * 24 * 3600 * 1000;
  let next = from;
  const batch = (start: number) =>
    Array.from({ length: Math.min(BATCH, to - start) }, (_, k): StatusEntry => {
      const n = start + k;
      const user = `u${n % USERS}`;
      const deployment = `dep_${user}_${Math.floor(n / USERS / 8)}`;
      const ts = base + n;
      return {
        _id: `${deployment}:${String(Math.floor(n / USERS) % 8).padStart(3, '0')}`,
        uuid: `uuid-${n}`,
        user,
        app_name: `app-${n % 7}`,
        deployment,
        status: 'ok',
        step: 'fetch',
        provider: 'github',
        commit: `octo-org/app/${n.toString(16).padStart(40, '0')}`,
        message: 'bench entry',
        ts: new Date(ts),
        cursor: `${cursorAt(ts)}_${n.toString(16).padStart(24, '0')}`,
      };
    });
  let loaded = from;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < to && Date.now() < deadline) {
        const start = next;
        next += BATCH;
        const docs = batch(start);
        await entries.insertMany(docs, { ordered: false });
        loaded += docs.length;
      }
    }),
  );
  return loaded;
}

async function sequential(count: number, call: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await call(i);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

function gatewayQuery(url: string) {
  return async (i: number) => {
    const answer = await http('GET', `${url}${PATH(`u${(i * 37) % USERS}`)}`, { authorization: basic() });
    if (answer.status !== 200 || JSON.parse(answer.text).length !== 10)
      throw new Error(`status query answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  };
}

/** Benchmark 4: p99 of a status page at 100k, 300k and 1M entries across 1,000 users; the query plan shown. */
export async function status(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const env = stack.env('status');
  const db = stack.mongo.db(env.MONGO_DATABASE);
  await new StatusRepository(db).ensureIndexes();
  const collection = db.collection<StatusEntry>(STATUS_COLLECTION);
  const query = (user: string) => collection.find({ user }).sort({ ts: -1, _id: -1 }).skip(20).limit(10);
  const gateway = await stack.gateway('gateway-status', env);
  const deadline = Date.now() + Number(process.env.BENCH_STATUS_LOAD_S ?? 300) * 1000;
  const points: Array<{
    target: number;
    entries: number;
    loadSeconds: number;
    direct: ReturnType<typeof summary>;
    gateway: ReturnType<typeof summary>;
    byId: ReturnType<typeof summary>;
  }> = [];
  let plan: unknown;
  try {
    let entries = 0;
    for (const target of STATUS_CURVE) {
      const t0 = performance.now();
      entries = await load(db, entries, target, deadline);
      const loadSeconds = (performance.now() - t0) / 1000;
      const direct = await sequential(QUERIES, async (i) => void (await query(`u${(i * 37) % USERS}`).toArray()));
      const byId = await sequential(
        QUERIES,
        async (i) => void (await collection.find({ _id: { $in: tenIds((i * 37) % USERS) } }).toArray()),
      );
      await sequential(5, gatewayQuery(gateway.url));
      const viaGateway = await sequential(QUERIES, gatewayQuery(gateway.url));
      points.push({
        target,
        entries,
        loadSeconds: round(loadSeconds),
        direct: summary(direct),
        gateway: summary(viaGateway),
        byId: summary(byId),
      });
      if (entries < target) break; // out of load time
    }
    try {
      plan = await query('u1').explain('queryPlanner');
    } catch (error) {
      plan = { unsupported: (error as Error).message };
    }
  } finally {
    await stack.stopChild(gateway.process);
    await db.dropDatabase().catch(() => undefined);
  }
  const last = points.at(-1)!;
  const n = (x: number) => x.toLocaleString('en-US');
  const rows: Row[] = [
    info(
      `entries loaded (target ${n(STATUS_CURVE.at(-1)!)}, bulk inserts)`,
      `${n(last.entries)} in ${round(points.reduce((s, p) => s + p.loadSeconds, 0))} s`,
    ),
    atMost(
      `GET status p99, ${n(last.entries)} entries / 1,000 users, limit=10&skip=20`,
      last.gateway.p99,
      last.direct.p99,
      'ms',
      20,
      '(driver query)',
    ),
    ...points.map((p) =>
      info(
        `  curve: ${n(p.entries)} entries: p99 gateway / driver`,
        `${p.gateway.p99} / ${p.direct.p99} ms`,
        `p50 ${p.gateway.p50} / ${p.direct.p50} ms`,
      ),
    ),
    ...points.map((p) =>
      info(
        `  curve: ${n(p.entries)} entries: p99 of ten entries by _id ($in), the shape a per-user numbering would allow`,
        `${p.byId.p99} ms`,
        `p50 ${p.byId.p50} ms`,
      ),
    ),
    info('  query plan (explain)', planSummary(plan)),
  ];
  return { rows, raw: { points, plan } };
}

/** Ten `_id`s of one user's entries as load() numbers them (docs/performance.md#status-at-a-million-entries). */
function tenIds(user: number): string[] {
  return Array.from({ length: 10 }, (_, k) => `dep_u${user}_${Math.floor(k / 8)}:${String(k % 8).padStart(3, '0')}`);
}

/** The winning plan's stages, e.g. `LIMIT ← SKIP ← FETCH ← IXSCAN {user:1,ts:-1,_id:-1}`. */
function planSummary(plan: any): string {
  if (plan?.unsupported) return `explain not supported by the server: ${String(plan.unsupported).slice(0, 80)}`;
  const stages: string[] = [];
  for (let stage = plan?.queryPlanner?.winningPlan; stage; stage = stage.inputStage ?? stage.inputStages?.[0]) {
    stages.push(stage.indexName ? `${stage.stage} ${stage.indexName}` : String(stage.stage));
  }
  return stages.length ? stages.join(' ← ') : JSON.stringify(plan).slice(0, 120);
}
