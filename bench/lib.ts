import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { registerSearchAttributes } from '../libs/deployments/temporal';
import {
  freePort,
  ManagedProcess,
  NODE_FLAGS,
  repoRoot,
  startMongoWireServer,
  startProcess,
  startTemporalDevServer,
  waitForPort,
} from '../tools/stack';

export const ADMIN = { username: 'admin', password: 'bench-admin-password' };
export const HOST = '127.0.0.1';
const DIST = join(repoRoot, 'dist');

/** One row of the printed table; raw numbers go to the JSON file. */
export interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: number | null;
  target: string;
  pass: boolean | null;
}

/** The shared local stack of one `npm run bench`: one Temporal dev server, one MongoDB-wire server. */
export class BenchStack {
  temporal!: Client;
  temporalAddress!: string;
  mongoUrl!: string;
  mongo!: MongoClient;
  workflowBundle!: string;
  private skeletonBundle?: string;
  /** The Temporal dev server's and mongo-java-server's processes, for CPU accounting. */
  serverPids!: { temporal: number; mongo: number };
  private connection!: Connection;
  private readonly servers: ManagedProcess[] = [];
  private readonly children = new Set<ManagedProcess>();

  constructor(readonly workDir: string) {}

  get logDir(): string {
    return join(this.workDir, 'logs');
  }

  async start(): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    const [temporal, mongo] = await Promise.all([
      startTemporalDevServer({ logDir: this.logDir, fairness: process.env.BENCH_FAIRNESS !== 'off' }),
      startMongoWireServer({ logDir: this.logDir }),
    ]);
    this.servers.push(temporal.process, mongo.process);
    this.serverPids = { temporal: temporal.process.child.pid!, mongo: mongo.process.child.pid! };
    this.temporalAddress = temporal.address;
    this.mongoUrl = mongo.url;
    this.connection = await Connection.connect({ address: this.temporalAddress });
    await registerSearchAttributes(this.connection, 'default');
    this.temporal = new Client({ connection: this.connection, namespace: 'default' });
    this.mongo = await MongoClient.connect(this.mongoUrl, { maxPoolSize: 200 });
    // Workers share one pre-built bundle instead of running webpack at every start.
    this.workflowBundle = join(this.workDir, 'workflow-bundle.js');
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger });
    writeFileSync(this.workflowBundle, code);
  }

  /** Settings of one gateway/worker group: its own database and task queue. */
  env(group: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      MONGO_URL: this.mongoUrl,
      MONGO_DATABASE: `bench_${group}`,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_TASK_QUEUE: `bench-${group}`,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      BLOB_DIR: join(this.workDir, `blobs-${group}`),
      WORKFLOW_BUNDLE: this.workflowBundle,
      LOG_LEVEL: 'warn',
      // One tenant's throughput is what these benches measure: no per-user rate (bench/neighbours.ts sets it).
      TENANT_ACTIVITIES_PER_SECOND: '0',
      ...(process.env.BENCH_WORKER_TUNING && { BENCH_WORKER_TUNING: process.env.BENCH_WORKER_TUNING }),
      ...extra,
    };
  }

  /** `node dist/apps/gateway/main.js` as a child process; resolves with its base URL once it listens. */
  async gateway(name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ url: string; process: ManagedProcess }> {
    const port = await freePort(HOST);
    const child = this.spawn(name, 'gateway', { ...env, GATEWAY_HOST: HOST, GATEWAY_PORT: String(port) }, nodeArgs);
    await waitForPort(child, HOST, port);
    return { url: `http://${HOST}:${port}`, process: child };
  }

  /** A worker child process; resolves once it polls its task queue. */
  async worker(name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<ManagedProcess> {
    const child = this.spawn(name, 'worker', { ...env, LOG_LEVEL: 'log' }, nodeArgs);
    await this.polling(name, child);
    return child;
  }

  /** The bench's skeleton worker (bench/skeleton-worker.ts) on the group's task queue, with the product worker's settings. */
  async skeletonWorker(name: string, env: NodeJS.ProcessEnv): Promise<ManagedProcess> {
    if (!this.skeletonBundle) {
      this.skeletonBundle = join(this.workDir, 'skeleton-bundle.js');
      const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./skeleton.workflow'), logger: quietLogger });
      writeFileSync(this.skeletonBundle, code);
    }
    const child = startProcess(name, process.execPath, [...NODE_FLAGS, join(DIST, 'bench', 'skeleton-worker.js')], {
      logFile: join(this.logDir, `${name}.log`),
      env: { ...env, SKELETON_BUNDLE: this.skeletonBundle },
    });
    this.children.add(child);
    await this.polling(name, child);
    return child;
  }

  private async polling(name: string, child: ManagedProcess): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (!(existsSync(child.logFile) && readFileSync(child.logFile, 'utf8').includes('polling task queue'))) {
      if (child.child.exitCode !== null || Date.now() > deadline) throw new Error(`${name} did not start; see ${child.logFile}`);
      await sleep(100);
    }
  }

  /** The reference receiver as a child process. */
  async receiver(name: string): Promise<{ url: string; process: ManagedProcess }> {
    const port = await freePort(HOST);
    const dir = join(this.workDir, name);
    const child = this.spawn(name, 'receiver', {
      RECEIVER_HOST: HOST,
      RECEIVER_PORT: String(port),
      RECEIVER_DEPLOY_DIR: join(dir, 'deploy'),
      RECEIVER_STATE_DIR: join(dir, 'state'),
      LOG_LEVEL: 'warn',
    });
    await waitForPort(child, HOST, port);
    return { url: `http://${HOST}:${port}`, process: child };
  }

  async stopChild(child: ManagedProcess): Promise<void> {
    this.children.delete(child);
    await child.stop();
  }

  async stopChildren(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.stopChild(c)));
  }

  async stop(): Promise<void> {
    await this.stopChildren();
    await this.mongo?.close().catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    for (const server of this.servers.reverse()) await server.stop();
  }

  private spawn(name: string, app: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): ManagedProcess {
    // Benchmark probes (bench/probes.ts) are preloaded only when a BENCH_* setting asks for one.
    const probes = Object.keys(env).some((key) => key.startsWith('BENCH_') && env[key]) ? ['-r', join(DIST, 'bench', 'probes.js')] : [];
    // The apps' flags as everywhere (tools/stack NODE_FLAGS), the baseline's too: like against like.
    const child = startProcess(name, process.execPath, [...NODE_FLAGS, ...probes, ...nodeArgs, join(DIST, 'apps', app, 'main.js')], {
      logFile: join(this.logDir, `${name}.log`),
      env,
    });
    this.children.add(child);
    return child;
  }
}

const quietLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m), log() {} } as never;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function basic(auth: { username: string; password: string } = ADMIN): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One HTTP exchange over a keep-alive agent (lighter than fetch in the load generator). */
export function http(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function httpJson(method: string, url: string, body?: unknown, auth = ADMIN): Promise<any> {
  const headers: Record<string, string> = { authorization: basic(auth) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const answer = await http(method, url, headers, body === undefined ? undefined : JSON.stringify(body));
  if (answer.status >= 300) throw new Error(`${method} ${url} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return JSON.parse(answer.text);
}

export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
  latenciesMs: number[];
  firstError?: string;
}

/** Closed loop: `concurrency` callers, each starting its next call when the last one ends. */
export async function closedLoop(concurrency: number, durationMs: number, call: (i: number) => Promise<void>): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let next = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await call(next++);
          ok += 1;
          latencies.push(performance.now() - t0);
        } catch (error) {
          failed += 1;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ok, failed, seconds, perSecond: ok / seconds, latenciesMs: latencies, firstError };
}

/** Open loop at a fixed rate; latency counts from the scheduled start (no coordinated omission). */
export async function openLoop(ratePerSecond: number, durationMs: number, call: (i: number) => Promise<void>): Promise<LoadResult> {
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  const interval = 1000 / ratePerSecond;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const calls: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = started + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await sleep(wait);
    calls.push(
      call(i).then(
        () => void ((ok += 1), latencies.push(performance.now() - scheduled)),
        (error) => void ((failed += 1), (firstError ??= (error as Error).message)),
      ),
    );
  }
  await Promise.all(calls);
  const seconds = (performance.now() - started) / 1000;
  return { ok, failed, seconds, perSecond: ok / seconds, latenciesMs: latencies, firstError };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values: number[]) => percentile(values, 50);

export function summary(values: number[]): { n: number; p50: number; p99: number; max: number } {
  return { n: values.length, p50: round(percentile(values, 50)), p99: round(percentile(values, 99)), max: round(Math.max(...values)) };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Higher-is-better figure: ratio value/baseline against a minimum. */
export function atLeast(figure: string, value: number, baseline: number, unit: string, minRatio: number): Row {
  const ratio = value / baseline;
  return {
    figure,
    value: `${round(value)} ${unit}`,
    baseline: `${round(baseline)} ${unit}`,
    ratio: round(ratio, 2),
    target: `ratio ≥ ${minRatio}`,
    pass: ratio >= minRatio,
  };
}

/** Lower-is-better figure with an absolute bound; the baseline gives the ratio for context. */
export function atMost(figure: string, value: number, baseline: number | null, unit: string, max: number, baselineLabel = ''): Row {
  return {
    figure,
    value: `${round(value)} ${unit}`,
    baseline: baseline === null ? '—' : `${round(baseline)} ${unit}${baselineLabel ? ` ${baselineLabel}` : ''}`,
    ratio: baseline ? round(value / baseline, 2) : null,
    target: `< ${max} ${unit}`,
    pass: value < max,
  };
}

export function info(figure: string, value: string, baseline = '—', ratio: number | null = null): Row {
  return { figure, value, baseline, ratio, target: '—', pass: null };
}

export function printTable(rows: Array<Row & { bench: string }>): string {
  const header = ['benchmark', 'figure', 'value', 'baseline (same run)', 'ratio', 'target', 'pass'];
  const cells = rows.map((r) => [
    r.bench,
    r.figure,
    r.value,
    r.baseline,
    r.ratio === null ? '—' : String(r.ratio),
    r.target,
    r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const line = (c: string[]) => `| ${c.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...cells.map(line)].join('\n');
}

/** BENCH_PROFILE=<bench>[,…]: that benchmark's first gateway (or worker) is CPU-profiled (bench/probes.ts) into the work dir. */
export function profileEnv(stack: BenchStack, bench: string): NodeJS.ProcessEnv {
  return (process.env.BENCH_PROFILE ?? '').split(',').includes(bench)
    ? { BENCH_CPU_PROFILE: join(stack.workDir, `${bench}.cpuprofile`) }
    : {};
}

/** Samples a process's RSS every 100 ms until stopped; answers the peak, in MB. */
export function rssPeak(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // exited
    }
  }, 100);
  return { stop: () => (clearInterval(timer), peak) };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux; 100 ticks/s). */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

/**
 * CPU ms each process (and this load generator) spends per operation over a phase: on shared
 * cores what a figure costs is its CPU, whatever else runs.
 */
export async function cpuPerOperation<T extends { ok: number }>(
  pids: Record<string, number>,
  phase: () => Promise<T>,
): Promise<{ result: T; cpuMsPerOp: Record<string, number> }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const self = process.cpuUsage();
  const result = await phase();
  const used = process.cpuUsage(self);
  const ops = Math.max(1, result.ok);
  const cpuMsPerOp: Record<string, number> = Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, round((cpuMs(pid) - before[name]) / ops, 2)]),
  );
  cpuMsPerOp.loadGenerator = round((used.user + used.system) / 1000 / ops, 2);
  return { result, cpuMsPerOp };
}
