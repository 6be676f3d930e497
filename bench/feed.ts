import { existsSync, readFileSync } from 'node:fs';
import { ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import { NewStatusEntry } from '../libs/status/status-entry';
import { STATUS_COLLECTION, StatusRepository } from '../libs/status/status.repository';
import { atMost, basic, BenchStack, info, Row, sleep, summary } from './lib';

const CLIENTS = Number(process.env.BENCH_FEED_CLIENTS ?? 1_000);
const USERS = 100;
const INSERTS = 300;
const INSERT_RATE = 30;
const SETTLE = process.env.BENCH_FEED_SETTLE ?? '100ms';

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

/** Benchmark 5: 1,000 NDJSON feed clients on one gateway; insert-to-arrival vs a raw change stream. */
export async function feed(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const probeFile = join(stack.workDir, 'feed-probe.json');
  const env = stack.env('feed', { FEED_SETTLE: SETTLE, BENCH_PROBE_FILE: probeFile });
  const db = stack.mongo.db(env.MONGO_DATABASE!);
  const repository = new StatusRepository(db);
  const gateway = await stack.gateway('gateway-feed', env);
  const sentAt = new Map<string, number>();
  const arrivals: number[] = [];
  const clients: ClientRequest[] = [];
  const probe = () => (existsSync(probeFile) ? JSON.parse(readFileSync(probeFile, 'utf8')) : {});
  const raw = db.collection(STATUS_COLLECTION).watch([{ $match: { operationType: 'insert' } }]);
  const direct: number[] = [];
  try {
    for (let i = 0; i < CLIENTS; i += 25) {
      clients.push(...(await Promise.all(Array.from({ length: Math.min(25, CLIENTS - i) }, (_, k) =>
        openFeed(`${gateway.url}/1/status/u${(i + k) % USERS}/changes`, (id) => arrivals.push(Date.now() - (sentAt.get(id) ?? NaN)))))));
    }
    raw.on('change', (change: any) => direct.push(Date.now() - (sentAt.get(change.documentKey._id) ?? NaN)));
    await raw.tryNext().catch(() => undefined); // opened on the server before the first insert
    await sleep(1_000);
    const during = probe();
    const started = Date.now();
    for (let i = 0; i < INSERTS; i++) {
      const wait = started + (i * 1000) / INSERT_RATE - Date.now();
      if (wait > 0) await sleep(wait);
      const entry: NewStatusEntry = {
        _id: `dep_feedbench:${String(i).padStart(4, '0')}`, uuid: `uuid-${i}`, user: `u${i % USERS}`, app_name: 'app', deployment: 'dep_feedbench',
        status: 'ok', step: 'fetch', provider: 'github', commit: `octo-org/app/${'a'.repeat(40)}`, message: `entry ${i}`, ts: new Date(),
      };
      sentAt.set(entry._id, Date.now());
      void repository.append(entry);
    }
    const expected = (INSERTS * CLIENTS) / USERS;
    const deadline = Date.now() + 10_000;
    while ((arrivals.length < expected || direct.length < INSERTS) && Date.now() < deadline) await sleep(100);

    const [f, d] = [summary(arrivals), summary(direct)];
    const rows: Row[] = [
      atMost(`feed insert-to-arrival p99, ${CLIENTS} NDJSON clients (FEED_SETTLE=${SETTLE})`, f.p99, d.p99, 'ms', 250, '(raw change stream)'),
      info('  p50 feed / raw change stream', `${f.p50} ms`, `${d.p50} ms`),
      { figure: 'entries delivered', value: `${arrivals.length}/${expected}`, baseline: `${direct.length}/${INSERTS} (raw)`, ratio: null, target: `${expected}/${expected}`, pass: arrivals.length === expected },
      { figure: 'open change streams in the gateway (feed clients held)', value: `${during.changeStreamsOpen} (${during.feedClients})`, baseline: '—', ratio: null, target: '= 1', pass: during.changeStreamsOpen === 1 && during.feedClients === CLIENTS },
    ];
    return { rows, raw: { clients: CLIENTS, users: USERS, inserts: INSERTS, settle: SETTLE, feed: f, direct: d, probe: during } };
  } finally {
    await raw.close().catch(() => undefined);
    for (const client of clients) client.destroy();
    await stack.stopChild(gateway.process);
    await db.dropDatabase().catch(() => undefined);
  }
}
