import { Db } from 'mongodb';
import { cursorAt } from '../libs/status/changes-cursor';
import { StatusEntry } from '../libs/status/status-entry';
import { STATUS_COLLECTION, StatusRepository } from '../libs/status/status.repository';
import { atMost, basic, BenchStack, http, info, round, Row, summary } from './lib';

const USERS = 1_000;
const TARGET_ENTRIES = 1_000_000;
const BATCH = 2_000;
const QUERIES = Number(process.env.BENCH_STATUS_QUERIES ?? 50);
const PATH = (user: string) => `/1/status/${user}/webhooks?limit=10&skip=20`;

/** Loads entries in batches until TARGET_ENTRIES or the time budget; answers how many and how fast. */
async function load(db: Db, budgetMs: number): Promise<{ entries: number; seconds: number; perSecond: number; rates: number[] }> {
  const entries = db.collection<StatusEntry>(STATUS_COLLECTION);
  const started = performance.now();
  const rates: number[] = [];
  let loaded = 0;
  const base = Date.now() - 30 * 24 * 3600 * 1000;
  while (loaded < TARGET_ENTRIES && performance.now() - started < budgetMs) {
    const t0 = performance.now();
    const docs = Array.from({ length: BATCH }, (_, k): StatusEntry => {
      const n = loaded + k;
      const user = `u${n % USERS}`;
      const deployment = `dep_${user}_${Math.floor(n / USERS / 8)}`;
      const ts = base + n;
      return {
        _id: `${deployment}:${String(Math.floor(n / USERS) % 8).padStart(3, '0')}`, uuid: `uuid-${n}`, user, app_name: `app-${n % 7}`, deployment,
        status: 'ok', step: 'fetch', provider: 'github', commit: `octo-org/app/${n.toString(16).padStart(40, '0')}`, message: 'bench entry', ts: new Date(ts),
        cursor: `${cursorAt(ts)}_${n.toString(16).padStart(24, '0')}`,
      };
    });
    await entries.insertMany(docs, { ordered: false });
    loaded += BATCH;
    rates.push(round(BATCH / ((performance.now() - t0) / 1000)));
  }
  const seconds = (performance.now() - started) / 1000;
  return { entries: loaded, seconds, perSecond: loaded / seconds, rates };
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
    if (answer.status !== 200 || JSON.parse(answer.text).length !== 10) throw new Error(`status query answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  };
}

/** Benchmark 4: p99 of a status page with N entries across 1,000 users; the query plan shown. */
export async function status(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const env = stack.env('status');
  const db = stack.mongo.db(env.MONGO_DATABASE!);
  await new StatusRepository(db).ensureIndexes();
  const loaded = await load(db, Number(process.env.BENCH_STATUS_LOAD_S ?? 20) * 1000);
  const collection = db.collection<StatusEntry>(STATUS_COLLECTION);
  const query = (user: string) => collection.find({ user }).sort({ ts: -1, _id: -1 }).skip(20).limit(10);
  const direct = await sequential(QUERIES, async (i) => void (await query(`u${(i * 37) % USERS}`).toArray()));
  let plan: unknown;
  try {
    plan = await query('u1').explain('queryPlanner');
  } catch (error) {
    plan = { unsupported: (error as Error).message };
  }

  const gateway = await stack.gateway('gateway-status', env);
  await sequential(10, gatewayQuery(gateway.url));
  const viaGateway = await sequential(QUERIES, gatewayQuery(gateway.url));
  await stack.stopChild(gateway.process);
  await db.dropDatabase().catch(() => undefined);

  const [d, g] = [summary(direct), summary(viaGateway)];
  const n = loaded.entries.toLocaleString('en-US');
  const rows: Row[] = [
    info(`entries loaded (target 1,000,000; ${Math.round(loaded.seconds)} s budget)`, `${n} at ${round(loaded.perSecond)}/s`),
    atMost(`GET status p99, ${n} entries / 1,000 users, limit=10&skip=20`, g.p99, d.p99, 'ms', 20, '(driver query)'),
    info('  p50 gateway / driver', `${g.p50} / ${d.p50} ms`),
    info('  query plan (explain)', planSummary(plan)),
  ];
  return { rows, raw: { loaded, direct: d, gateway: g, plan } };
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
