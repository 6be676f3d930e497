import { existsSync, readFileSync } from 'node:fs';
import { ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import { NewStatusEntry } from '../libs/status/status-entry';
import { STATUS_COLLECTION, StatusRepository } from '../libs/status/status.repository';
import { basic, BenchStack, info, round, Row, rssMb, sleep, summary } from './lib';

/** Feed clients of the cost curve (item 3); the last one carries the target. */
export const FEED_CURVE = (process.env.BENCH_FEED_CLIENTS ?? '100,1000,5000').split(',').map(Number);
const USERS = 100;
const INSERTS = 300;
const INSERT_RATE = 30;
/** Unset: the gateway's default FEED_SETTLE, as the target asks. */
const SETTLE = process.env.BENCH_FEED_SETTLE;

/** Opens one NDJSON feed; every entry line's arrival is reported with the entry id. */
function openFeed(url: string, onEntry: (id: string) => void): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: basic() }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`feed answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          const id: string | undefined = line ? JSON.parse(line).id : undefined; // the entry's URL
          if (id) onEntry(decodeURIComponent(id.slice(id.lastIndexOf('/') + 1)));
        }
      });
      res.on('error', () => undefined);
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Benchmark 5: NDJSON feed clients on one gateway at each size of the curve; insert-to-arrival vs a raw change stream. */
export async function feed(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const points: FeedPoint[] = [];
  for (const clients of FEED_CURVE) points.push(await feedAt(stack, clients));
  const last = points.at(-1)!;
  const settle = SETTLE ?? 'default';
  const rows: Row[] = [
    {
      figure: `feed insert-to-arrival p99, ${last.clients} NDJSON clients (FEED_SETTLE ${settle})`,
      value: `${last.feed.p99} ms`,
      baseline: `${last.direct.p99} ms (raw change stream)`,
      ratio: round(last.feed.p99 / last.direct.p99, 2),
      target: '≤ raw + 50 ms',
      pass: last.feed.p99 <= last.direct.p99 + 50,
    },
    info('  p50 feed / raw change stream', `${last.feed.p50} ms`, `${last.direct.p50} ms`),
    ...points.map((p) =>
      info(
        `  curve: ${p.clients} clients: p99 feed (raw); gateway RSS per client`,
        `${p.feed.p99} ms (${p.direct.p99} ms); ${p.rssPerClientKb} kB`,
      ),
    ),
    {
      figure: 'entries delivered',
      value: points.map((p) => `${p.delivered}/${p.expected}`).join(', '),
      baseline: '—',
      ratio: null,
      target: 'all',
      pass: points.every((p) => p.delivered === p.expected),
    },
    {
      figure: 'open change streams in the gateway (feed clients held)',
      value: `${last.probe.changeStreamsOpen} (${last.probe.feedClients})`,
      baseline: '—',
      ratio: null,
      target: '= 1',
      pass: last.probe.changeStreamsOpen === 1 && last.probe.feedClients === last.clients,
    },
  ];
  return { rows, raw: { users: USERS, inserts: INSERTS, settle, points } };
}

interface FeedPoint {
  clients: number;
  feed: ReturnType<typeof summary>;
  direct: ReturnType<typeof summary>;
  delivered: number;
  expected: number;
  rssPerClientKb: number;
  rssIdleMb: number;
  probe: { changeStreamsOpen?: number; feedClients?: number };
}

async function feedAt(stack: BenchStack, CLIENTS: number): Promise<FeedPoint> {
  const probeFile = join(stack.workDir, `feed-probe-${CLIENTS}.json`);
  const env = stack.env(`feed${CLIENTS}`, { ...(SETTLE && { FEED_SETTLE: SETTLE }), BENCH_PROBE_FILE: probeFile });
  const db = stack.mongo.db(env.MONGO_DATABASE);
  const repository = new StatusRepository(db);
  const gateway = await stack.gateway(`gateway-feed-${CLIENTS}`, env);
  const sentAt = new Map<string, number>();
  const arrivals: number[] = [];
  const clients: ClientRequest[] = [];
  const probe = () => (existsSync(probeFile) ? JSON.parse(readFileSync(probeFile, 'utf8')) : {});
  const raw = db.collection(STATUS_COLLECTION).watch([{ $match: { operationType: 'insert' } }]);
  const direct: number[] = [];
  try {
    // One client first, so the hub and its change stream exist before the idle RSS is read.
    clients.push(await openFeed(`${gateway.url}/1/status/u0/changes`, (id) => arrivals.push(Date.now() - (sentAt.get(id) ?? NaN))));
    await sleep(500);
    const rssIdleMb = rssMb(gateway.process.child.pid!);
    for (let i = 1; i < CLIENTS; i += 25) {
      clients.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(25, CLIENTS - i) }, (_, k) =>
            openFeed(`${gateway.url}/1/status/u${(i + k) % USERS}/changes`, (id) => arrivals.push(Date.now() - (sentAt.get(id) ?? NaN))),
          ),
        )),
      );
    }
    raw.on('change', (change: any) => direct.push(Date.now() - (sentAt.get(change.documentKey._id) ?? NaN)));
    await raw.tryNext().catch(() => undefined); // opened on the server before the first insert
    await sleep(1_000);
    const rssPerClientKb = round(((rssMb(gateway.process.child.pid!) - rssIdleMb) * 1024) / (CLIENTS - 1));
    const during = probe();
    const started = Date.now();
    for (let i = 0; i < INSERTS; i++) {
      const wait = started + (i * 1000) / INSERT_RATE - Date.now();
      if (wait > 0) await sleep(wait);
      const entry: NewStatusEntry = {
        _id: `dep_feedbench:${String(i).padStart(4, '0')}`,
        uuid: `uuid-${i}`,
        user: `u${i % USERS}`,
        app_name: 'app',
        deployment: 'dep_feedbench',
        status: 'ok',
        step: 'fetch',
        provider: 'github',
        commit: `octo-org/app/${'a'.repeat(40)}`,
        message: `entry ${i}`,
        ts: new Date(),
      };
      sentAt.set(entry._id, Date.now());
      void repository.append(entry);
    }
    const expected = (INSERTS * CLIENTS) / USERS;
    const deadline = Date.now() + 10_000;
    while ((arrivals.length < expected || direct.length < INSERTS) && Date.now() < deadline) await sleep(100);
    return {
      clients: CLIENTS,
      feed: summary(arrivals),
      direct: summary(direct),
      delivered: arrivals.length,
      expected,
      rssPerClientKb,
      rssIdleMb: round(rssIdleMb),
      probe: during,
    };
  } finally {
    await raw.close().catch(() => undefined);
    for (const client of clients) client.destroy();
    await stack.stopChild(gateway.process);
    await db.dropDatabase().catch(() => undefined);
  }
}
