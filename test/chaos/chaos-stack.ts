import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client, Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createReceiverApp } from '../../apps/receiver';
import {
  freePort,
  ManagedProcess,
  MongoWireServer,
  repoRoot,
  startApp,
  startMongoWireServer,
  startTemporalDevServer,
  TemporalDevServer,
  waitForPort,
} from '../../tools/stack';
import { DeploymentOutcome } from '../../workflows/types';
import { githubTarball } from '../support/archives';
import { GithubServer } from '../../tools/github-standin/github-standin';
import { ADMIN, LOCAL_RECEIVERS } from '../support/harness';
import { githubHeaders, githubPush } from '../support/payloads';
import { FlakyProxy } from './flaky-proxy';

/**
 * The whole product as real processes — Temporal dev server and MongoDB-wire server with
 * persistent files (so they can be stopped and started again on the same ports), gateways and
 * workers from dist/ — plus an in-process GitHub-shaped server and reference receiver that
 * counts how often each deployment is processed.
 */
export class ChaosStack {
  readonly dir = join(repoRoot, '.stack', 'chaos', new Date().toISOString().replace(/[:.]/g, '-'));
  readonly logDir = join(this.dir, 'logs');
  temporal!: TemporalDevServer;
  mongo!: MongoWireServer;
  github!: GithubServer;
  receiver!: NestFastifyApplication;
  receiverUrl!: string;
  proxy?: FlakyProxy;
  gateways: ManagedProcess[] = [];
  workers: ManagedProcess[] = [];
  gatewayPorts: number[] = [];
  /** deployment id → how many times the receiver started processing it */
  processed = new Map<string, number>();
  /** app → its packages being processed at the receiver now, the most ever at once, and their ids in the order started (docs/contract.md#one-deployment-at-a-time) */
  inFlight = new Map<string, number>();
  mostInFlight = new Map<string, number>();
  startedInOrder = new Map<string, string[]>();
  client!: Client;
  db!: MongoClient;
  private env: NodeJS.ProcessEnv = {};
  /** Extra settings of one process (the soak suite's memory probe on the processes it measures). */
  private processEnv: (name: 'gateway' | 'worker', i: number) => NodeJS.ProcessEnv = () => ({});
  private ports = { temporal: 0, temporalUi: 0, mongo: 0 };

  async start(
    options: {
      gateways?: number;
      workers?: number;
      faultRate?: number;
      processingDelayMs?: number;
      processEnv?: (name: 'gateway' | 'worker', i: number) => NodeJS.ProcessEnv;
    } = {},
  ): Promise<this> {
    mkdirSync(this.logDir, { recursive: true });
    if (options.processEnv) this.processEnv = options.processEnv;
    this.ports = { temporal: await freePort(), temporalUi: await freePort(), mongo: await freePort() };
    await Promise.all([this.startTemporal(), this.startMongo()]);
    this.github = await new GithubServer().start();
    const { processed, inFlight, mostInFlight, startedInOrder } = this;
    const delay = options.processingDelayMs ?? 0;
    this.receiver = await createReceiverApp(
      {
        deployDir: join(this.dir, 'deployed'),
        stateDir: join(this.dir, 'receiver-state'),
        maxArchiveBytes: 64 * 1024 * 1024,
        maxEntries: 10_000,
        bodyLimitBytes: 65 * 1024 * 1024,
        hooks: {
          before: async (pkg) => {
            processed.set(pkg._doc, (processed.get(pkg._doc) ?? 0) + 1);
            const now = (inFlight.get(pkg.app.name) ?? 0) + 1;
            inFlight.set(pkg.app.name, now);
            mostInFlight.set(pkg.app.name, Math.max(now, mostInFlight.get(pkg.app.name) ?? 0));
            startedInOrder.set(pkg.app.name, [...(startedInOrder.get(pkg.app.name) ?? []), pkg._doc]);
            if (delay) await new Promise((r) => setTimeout(r, delay));
          },
          after: async (pkg) => void inFlight.set(pkg.app.name, (inFlight.get(pkg.app.name) ?? 1) - 1),
        },
      },
      ['error'],
    );
    await this.receiver.listen(0, '127.0.0.1');
    this.receiverUrl = (await this.receiver.getUrl()).replace('[::1]', '127.0.0.1');
    let targetUrl = this.receiverUrl;
    if (options.faultRate) {
      this.proxy = await new FlakyProxy(this.receiverUrl, options.faultRate).start();
      targetUrl = this.proxy.url;
    }
    this.env = {
      TEMPORAL_ADDRESS: this.temporal.address,
      MONGO_URL: this.mongo.url,
      MONGO_DATABASE: 'chaos',
      TEMPORAL_TASK_QUEUE: 'deployments',
      ADMIN_PASSWORD: ADMIN.password,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      GITHUB_API_URL: this.github.url,
      DEFAULT_TARGET_URL: `${targetUrl}/push`,
      DEFAULT_TARGET_STATUS_URL: `${targetUrl}/status/{{id}}`,
      TARGET_ALLOW: LOCAL_RECEIVERS, // the receiver and its proxy run on loopback
      BLOB_DIR: join(this.dir, 'blobs'),
      LOG_LEVEL: 'warn',
    };
    for (let i = 0; i < (options.workers ?? 1); i++)
      this.workers.push(startApp('worker', { ...this.env, ...this.processEnv('worker', i) }, this.logDir, `-${i}`));
    for (let i = 0; i < (options.gateways ?? 1); i++) {
      this.gatewayPorts.push(await freePort());
      await this.startGateway(i);
    }
    this.client = new Client({ connection: Connection.lazy({ address: this.temporal.address }) });
    this.db = new MongoClient(this.mongo.url, { serverSelectionTimeoutMS: 60_000 });
    return this;
  }

  async startGateway(i: number): Promise<void> {
    const gateway = startApp(
      'gateway',
      { ...this.env, ...this.processEnv('gateway', i), GATEWAY_PORT: String(this.gatewayPorts[i]) },
      this.logDir,
      `-${i}`,
    );
    this.gateways[i] = gateway;
    await waitForPort(gateway, '127.0.0.1', this.gatewayPorts[i]);
  }

  killGateway(i = 0): void {
    this.gateways[i].child.kill('SIGKILL');
  }

  killWorker(i = 0): void {
    this.workers[i].child.kill('SIGKILL');
  }

  restartWorker(i = 0): void {
    this.workers[i] = startApp('worker', { ...this.env, ...this.processEnv('worker', i) }, this.logDir, `-${i}`);
  }

  async startTemporal(): Promise<void> {
    this.temporal = await startTemporalDevServer({
      logDir: this.logDir,
      port: this.ports.temporal,
      uiPort: this.ports.temporalUi,
      dbFile: join(this.dir, 'temporal.db'),
    });
  }

  async startMongo(): Promise<void> {
    this.mongo = await startMongoWireServer({ logDir: this.logDir, port: this.ports.mongo, h2File: join(this.dir, 'mongo.h2') });
  }

  gatewayUrl(i = 0): string {
    return `http://127.0.0.1:${this.gatewayPorts[i]}`;
  }

  /** A commit on the GitHub-shaped server (a child of `parent` when given); answers its sha. */
  async commit(repo: string, parent?: string): Promise<string> {
    const sha = randomBytes(20).toString('hex');
    const files = { 'package.json': JSON.stringify({ name: repo, version: '1.0.0' }), 'index.js': `// ${sha}\n` };
    const existing = this.github.repositories.get(`octo-org/${repo}`) ?? { files: {}, tarballs: {} };
    existing.files[sha] = files;
    existing.tarballs[sha] = await githubTarball({ owner: 'octo-org', repo, sha, files });
    this.github.repositories.set(`octo-org/${repo}`, existing);
    this.github.addCommit(`octo-org/${repo}`, sha, parent ? [parent] : []);
    return sha;
  }

  /** Delivers a push as GitHub does: the same delivery id on every redelivery. */
  async push(repo: string, sha: string, delivery: string, gateway = 0, before?: string): Promise<{ status: number; json: any }> {
    const response = await fetch(`${this.gatewayUrl(gateway)}/1/deploy`, {
      method: 'POST',
      headers: {
        ...githubHeaders('push', delivery),
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`,
      },
      body: JSON.stringify(githubPush({ repo, sha, before })),
    });
    return { status: response.status, json: await response.json().catch(() => undefined) };
  }

  outcome(workflowId: string): Promise<DeploymentOutcome> {
    return this.client.workflow.getHandle(workflowId).result();
  }

  async statusEntries(deployment: string): Promise<Array<{ _id: string; step: string; status: string }>> {
    return this.db
      .db('chaos')
      .collection<{ _id: string; step: string; status: string }>('status_entries')
      .find({ deployment })
      .sort({ _id: 1 })
      .toArray();
  }

  async stop(): Promise<void> {
    await this.db?.close().catch(() => undefined);
    await this.client?.connection.close().catch(() => undefined);
    for (const p of [...this.gateways, ...this.workers]) await p.stop();
    await this.receiver?.close();
    await this.proxy?.stop();
    await this.github?.stop();
    await this.temporal?.process.stop();
    await this.mongo?.process.stop();
    if (process.env.CHAOS_KEEP !== '1') rmSync(join(this.dir, 'deployed'), { recursive: true, force: true });
  }
}

/** Steps in the order a deployment takes them; each entry's step may not go backwards. */
export const STEP_ORDER = [
  'received',
  'waiting_for_ci',
  'resolve',
  'fetch',
  'inspect',
  'awaiting_approval',
  'waiting_for_window',
  'queued',
  'activating',
  'upload',
  'processing',
  'verifying',
  'done',
];

/** Every status entry written once, numbered without gaps, steps in order, ending in `done`. */
export function checkStatusLog(entries: Array<{ _id: string; step: string; status: string }>): string | null {
  if (entries.length === 0) return 'no entries';
  for (let i = 0; i < entries.length; i++) {
    const seq = Number(entries[i]._id.split(':').pop());
    if (seq !== i + 1) return `entry ${i + 1} has sequence ${seq}`;
    if (i > 0 && STEP_ORDER.indexOf(entries[i].step) < STEP_ORDER.indexOf(entries[i - 1].step))
      return `step ${entries[i].step} after ${entries[i - 1].step}`;
  }
  const last = entries[entries.length - 1];
  if (last.step !== 'done') return `last step is ${last.step}`;
  const received = entries.filter((e) => e.step === 'received').length;
  if (received !== 1) return `received logged ${received} times`;
  if (entries.filter((e) => e.step === 'done').length !== 1) return 'done logged more than once';
  return null;
}
