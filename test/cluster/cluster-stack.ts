import { Client } from '@temporalio/client';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../tools/stack';
import { TemporalCluster } from '../../tools/stack/temporal-cluster';
import { ChaosStack } from '../chaos/chaos-stack';

/**
 * The fault-injection suite's stack (test/chaos/chaos-stack.ts: real gateways and workers from
 * dist/, the MongoDB-wire server, a GitHub-shaped server and a counting reference receiver) with
 * a Temporal cluster instead of the dev server: the server built from its Go module, one process
 * per service, on PostgreSQL, mutual TLS everywhere, and authorization: every call to a frontend
 * needs an API key, a JWT the cluster signed (tools/stack/temporal-cluster.ts). Gateway and worker
 * `i` reach frontend `i % frontends` with the client certificate and an API key for the namespace,
 * through the product's own settings (TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY,
 * TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY).
 */
export class ClusterStack extends ChaosStack {
  override readonly dir = join(repoRoot, '.stack', 'cluster', new Date().toISOString().replace(/[:.]/g, '-'));
  override readonly logDir = join(this.dir, 'logs');
  cluster!: TemporalCluster;
  /** The Temporal settings each gateway and worker was started with (`gateway-0`, `worker-1`, …), the same on restarts. */
  private readonly temporalEnv = new Map<string, NodeJS.ProcessEnv>();

  constructor(private readonly frontends = 2) {
    super();
  }

  override async start(options: Parameters<ChaosStack['start']>[0] = {}): Promise<this> {
    await super.start({
      ...options,
      processEnv: (name, i) => ({ ...this.temporalSettings(name, i), ...options.processEnv?.(name, i) }),
    });
    // The base stack's client is plain (the dev server's): one over mutual TLS instead.
    await this.client.connection.close();
    this.client = new Client({ connection: await this.cluster.connect(0), namespace: this.cluster.namespace });
    return this;
  }

  /** The Temporal settings of gateway or worker `i`: its frontend, the client certificate, its API key. */
  temporalSettings(name: 'gateway' | 'worker', i: number): NodeJS.ProcessEnv {
    const key = `${name}-${i}`;
    if (!this.temporalEnv.has(key)) this.temporalEnv.set(key, this.cluster.clientEnv(i % this.frontends));
    return this.temporalEnv.get(key)!;
  }

  /** Called by the base stack's start, beside MongoDB's. */
  override async startTemporal(): Promise<void> {
    // Kept before it starts: a start that fails half-way is still stopped (afterAll).
    this.cluster = new TemporalCluster({
      dir: join(this.dir, 'cluster'),
      logDir: this.logDir,
      frontends: this.frontends,
      authorization: true,
    });
    await this.cluster.start();
    this.temporal = {
      address: this.cluster.address(0),
      uiUrl: '',
      namespace: this.cluster.namespace,
      process: this.cluster.frontends[0].process!,
    };
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.cluster?.stop();
    // PostgreSQL's data (~80 MB a run) goes; logs, certificates and configuration stay. CHAOS_KEEP=1 keeps it.
    if (process.env.CHAOS_KEEP !== '1') rmSync(join(this.dir, 'cluster', 'postgres'), { recursive: true, force: true });
  }
}
