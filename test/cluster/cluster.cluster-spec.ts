import { status } from '@grpc/grpc-js';
import { Client, Connection, ConnectionOptions } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeClusterCertificates, signJwt } from '../../tools/stack/temporal-cluster';
import { checkStatusLog } from '../chaos/chaos-stack';
import { seededRandom } from '../support/faulty-receiver';
import { ClusterStack } from './cluster-stack';

const APPS = Number(process.env.CLUSTER_APPS ?? 10);
const COMMITS = Number(process.env.CLUSTER_COMMITS ?? 5); // pushes per app: APPS × COMMITS in all

interface Push {
  repo: string;
  sha: string;
  before?: string;
  delivery: string;
  gateway: number;
  /** Deployment ids the gateways answered for this delivery (one, however often it was sent). */
  ids: Set<string>;
  workflowId?: string;
  sentAt: number;
  answeredAt?: number;
  settledAt?: number;
}

/** A process's resident memory in MiB (Linux), or null. */
const rssMiB = (pid: number | undefined) => {
  const match = pid ? /VmRSS:\s+(\d+) kB/.exec(readFileSafe(`/proc/${pid}/status`)) : null;
  return match ? Math.round(Number(match[1]) / 1024) : null;
};
const readFileSafe = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};

/**
 * The product on a Temporal cluster (server built from go.temporal.io/server, one process per
 * service, PostgreSQL, mutual TLS): two gateways and two workers, each pair on its own frontend.
 * Pushes of successive commits over several apps, spread over both gateways, while worker 1 and
 * gateway 1 are killed with SIGKILL and started again; a delivery that fails is sent again, to the
 * other gateway, with the same delivery id (GitHub's redelivery behind a load balancer).
 */
describe('on a Temporal cluster with mutual TLS', () => {
  const stack = new ClusterStack(2);
  const startedAt = Date.now();
  let startMs = 0;
  beforeAll(async () => {
    await stack.start({ gateways: 2, workers: 2, processingDelayMs: 200 });
    startMs = Date.now() - startedAt;
  }, 600_000);
  afterAll(() => stack.stop());

  it(`deploys ${APPS * COMMITS} pushes over ${APPS} apps exactly once while a worker and a gateway are killed`, async () => {
    const random = seededRandom(28);
    const apps = Array.from({ length: APPS }, (_, i) => `cluster-${i}`);
    const shas = new Map<string, string[]>();
    for (const repo of apps) {
      const line: string[] = [];
      for (let n = 0; n < COMMITS; n++) line.push(await stack.commit(repo, line.at(-1)));
      shas.set(repo, line);
    }
    // Commit n of every app before commit n + 1 of any: each app's pushes in commit order, apps interleaved.
    const pushes: Push[] = [];
    for (let n = 0; n < COMMITS; n++)
      for (const repo of apps) {
        const line = shas.get(repo)!;
        pushes.push({
          repo,
          sha: line[n],
          before: line[n - 1],
          delivery: `${repo}-${n}`,
          gateway: pushes.length % 2,
          ids: new Set(),
          sentAt: 0,
        });
      }

    const scenarioStarted = Date.now();
    const events: string[] = [];
    let retried = 0;
    const restarts: Array<Promise<unknown>> = [];
    const gatewayRestartMs: number[] = [];
    const killWorker = (why: string) => {
      stack.killWorker(1);
      events.push(`worker 1 killed ${why} at +${Date.now() - scenarioStarted} ms`);
      restarts.push(new Promise((r) => setTimeout(r, 500)).then(() => stack.restartWorker(1)));
    };
    const killGateway = (why: string) => {
      stack.killGateway(1);
      events.push(`gateway 1 killed ${why} at +${Date.now() - scenarioStarted} ms`);
      restarts.push(
        new Promise((r) => setTimeout(r, 1_000)).then(async () => {
          const at = Date.now();
          await stack.startGateway(1);
          gatewayRestartMs.push(Date.now() - at);
        }),
      );
    };

    const outcomes: Array<Promise<{ state: string; error?: { code?: string } }>> = [];
    for (const [i, push] of pushes.entries()) {
      if (i === Math.floor(pushes.length / 4)) killWorker('while pushes arrive');
      if (i === Math.floor(pushes.length / 2)) killGateway('while pushes arrive');
      push.sentAt = Date.now();
      // Sent to its gateway; what fails goes again, to the other one, with the same delivery id.
      for (let attempt = 0; ; attempt++) {
        const gateway = (push.gateway + attempt) % 2;
        const answer = await stack
          .push(push.repo, push.sha, push.delivery, gateway, push.before)
          .catch(() => ({ status: 0, json: undefined }));
        if (answer.status === 202) {
          push.ids.add(answer.json.id);
          push.workflowId = answer.json.workflowId;
          break;
        }
        retried++;
        if (attempt > 50) throw new Error(`${push.delivery}: no gateway took it (last answer ${answer.status})`);
        await new Promise((r) => setTimeout(r, 200));
      }
      push.answeredAt = Date.now();
      outcomes.push(
        stack.outcome(push.workflowId!).then((outcome) => {
          push.settledAt = Date.now();
          return outcome;
        }),
      );
      await new Promise((r) => setTimeout(r, 50 + random() * 100));
    }
    // Pushes answered: the same delivery sent again to either gateway still names one deployment.
    for (const push of pushes.filter((_, i) => i % 7 === 0)) {
      const again = await stack.push(push.repo, push.sha, push.delivery, 1 - push.gateway, push.before);
      expect([push.delivery, again.status]).toEqual([push.delivery, 202]);
      push.ids.add(again.json.id);
    }
    // Worker 1 killed again while the deployments run.
    const settled = Promise.all(outcomes);
    let done = false;
    void settled.finally(() => (done = true)).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1_000 + random() * 2_000));
    if (!done) killWorker('while deployments run');
    const results = await settled;
    await Promise.all(restarts);
    const scenarioMs = Date.now() - scenarioStarted;

    // Every push accounted for once: one deployment per delivery, and no other deployment.
    expect(pushes.filter((push) => push.ids.size !== 1).map((push) => `${push.delivery}: ${[...push.ids].join(', ')}`)).toEqual([]);
    const deployments = await stack.db.db('chaos').collection('deployments').find().toArray();
    expect(deployments.map((d) => String(d._id)).sort()).toEqual(pushes.map((push) => [...push.ids][0]).sort());
    const byId = new Map(pushes.map((push, i) => [[...push.ids][0], results[i]]));
    for (const repo of apps) {
      const line = pushes.filter((push) => push.repo === repo);
      const newest = line.at(-1)!;
      const newestId = [...newest.ids][0];
      // The newest commit is live on every app, having reached the receiver once; no app had two packages there at once.
      expect([repo, byId.get(newestId)]).toEqual([repo, { state: 'succeeded' }]);
      expect([repo, readFileSync(join(stack.dir, 'deployed', repo, 'index.js'), 'utf8')]).toEqual([repo, `// ${newest.sha}\n`]);
      expect([repo, stack.mostInFlight.get(repo)]).toEqual([repo, 1]);
      // Older commits either deployed (once, in commit order) or ended superseded or stale without uploading.
      const order = (stack.startedInOrder.get(repo) ?? []).map((id) => line.findIndex((push) => push.ids.has(id)));
      expect([repo, order]).toEqual([repo, [...order].sort((a, b) => a - b)]);
      for (const push of line) {
        const id = [...push.ids][0];
        const outcome = byId.get(id)!;
        if (outcome.state === 'succeeded') expect([id, stack.processed.get(id)]).toEqual([id, 1]);
        else {
          expect([id, outcome.error?.code]).toEqual([id, expect.stringMatching(/^deploy:(superseded|stale)$/)]);
          expect([id, stack.processed.get(id)]).toEqual([id, undefined]);
        }
        // The status log: every entry once, numbered without gaps, steps in order, ending once.
        expect([id, checkStatusLog(await stack.statusEntries(id))]).toEqual([id, null]);
      }
    }
    expect(events.filter((e) => e.startsWith('worker')).length).toBeGreaterThanOrEqual(1);
    expect(events.filter((e) => e.startsWith('gateway'))).toHaveLength(1);

    const answered = pushes.map((push) => push.answeredAt! - push.sentAt);
    const settledMs = pushes.map((push) => push.settledAt! - push.sentAt);
    const succeeded = results.filter((r) => r.state === 'succeeded').length;
    console.log(
      JSON.stringify(
        {
          clusterStartMs: stack.cluster.startup,
          stackStartMs: startMs,
          scenarioMs,
          pushes: pushes.length,
          apps: APPS,
          succeeded,
          supersededOrStale: pushes.length - succeeded,
          deliveriesRetried: retried,
          kills: events,
          gatewayRestartToListeningMs: gatewayRestartMs,
          pushAnsweredMs: { p50: percentile(answered, 50), p95: percentile(answered, 95), max: Math.max(...answered) },
          pushSettledMs: { p50: percentile(settledMs, 50), p95: percentile(settledMs, 95), max: Math.max(...settledMs) },
          clusterRssMiB: Object.fromEntries(
            [
              ...stack.cluster.nodes.map((node) => [node.name, node.process?.child.pid] as const),
              ['postgres', stack.cluster.postgres.process.child.pid] as const,
            ].map(([name, pid]) => [name, rssMiB(pid)]),
          ),
        },
        null,
        2,
      ),
    );
  });

  it('refuses a client without a certificate, with another CA’s certificate, or without TLS, even with a valid API key', async () => {
    const { certs } = stack.cluster;
    const address = stack.cluster.address(1);
    const apiKey = stack.cluster.apiKey('deploy-webhooks', [`${stack.cluster.namespace}:admin`]);
    const tls = { serverNameOverride: 'localhost', serverRootCACertificate: readFileSync(certs.ca) };
    // A certificate as good as the product's, but of a CA the cluster does not trust.
    const stranger = makeClusterCertificates(join(stack.dir, 'stranger-ca'), 'a stranger CA');
    const strangerPair = { crt: readFileSync(stranger.client.cert), key: readFileSync(stranger.client.key) };
    // Each attempt's verdict is taken as it settles (one refused while another runs is no unhandled rejection).
    const verdicts = await Promise.all([
      verdict('client without a certificate', describeNamespace({ address, tls, apiKey })),
      verdict(
        'worker without a certificate',
        NativeConnection.connect({ address, tls, apiKey }).then((c) => c.close()),
      ),
      verdict(
        'client with another CA’s certificate',
        describeNamespace({ address, tls: { ...tls, clientCertPair: strangerPair }, apiKey }),
      ),
      verdict(
        'worker with another CA’s certificate',
        NativeConnection.connect({ address, tls: { ...tls, clientCertPair: strangerPair }, apiKey }).then((c) => c.close()),
      ),
      verdict('client without TLS', describeNamespace({ address })),
    ]);
    expect(verdicts).toEqual([
      'client without a certificate: refused',
      'worker without a certificate: refused',
      'client with another CA’s certificate: refused',
      'worker with another CA’s certificate: refused',
      'client without TLS: refused',
    ]);
    // The check itself: the product's certificate and key get through the same frontend.
    const admitted = await stack.cluster.connect(1, apiKey);
    await admitted.workflowService.describeNamespace({ namespace: stack.cluster.namespace });
    await admitted.close();
  });

  it('authorizes by TEMPORAL_API_KEY: the product’s key reaches the server as a bearer token; no key, a forged one or another namespace’s is refused', async () => {
    const { certs, namespace } = stack.cluster;
    const address = stack.cluster.address(0);
    const tls = {
      serverNameOverride: 'localhost',
      serverRootCACertificate: readFileSync(certs.ca),
      clientCertPair: { crt: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) },
    };
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const verdicts = await Promise.all([
      verdict('no API key', describeNamespace({ address, tls })),
      verdict(
        'a forged API key',
        describeNamespace({ address, tls, apiKey: signJwt(forger, 'forged', { sub: 'x', permissions: [`${namespace}:admin`] }) }),
      ),
      verdict(
        'another namespace’s API key',
        describeNamespace({ address, tls, apiKey: stack.cluster.apiKey('x', ['another-namespace:admin']) }),
      ),
      verdict(
        'a reader’s API key, starting a workflow',
        startWorkflow({ address, tls, apiKey: stack.cluster.apiKey('x', [`${namespace}:read`]) }),
      ),
      verdict('the product’s API key', describeNamespace({ address, tls, apiKey: stack.temporalSettings('gateway', 0).TEMPORAL_API_KEY })),
    ]);
    expect(verdicts).toEqual([
      'no API key: refused (PermissionDenied)',
      'a forged API key: refused (PermissionDenied)',
      'another namespace’s API key: refused (PermissionDenied)',
      'a reader’s API key, starting a workflow: refused (PermissionDenied)',
      'the product’s API key: admitted',
    ]);
    // The gateways and workers ran the deployments above with such keys and nothing else: each of them sent its key on every call.
  });

  /** Connects and asks for the namespace (a namespace read: what an authorizer checks). */
  async function describeNamespace(options: ConnectionOptions): Promise<void> {
    const connection = await Connection.connect({ ...options, connectTimeout: '5 seconds' });
    try {
      await connection.workflowService.describeNamespace({ namespace: stack.cluster.namespace });
    } finally {
      await connection.close();
    }
  }

  /** Connects and starts a workflow (a namespace write). */
  async function startWorkflow(options: ConnectionOptions): Promise<void> {
    const connection = await Connection.connect({ ...options, connectTimeout: '5 seconds' });
    try {
      const client = new Client({ connection, namespace: stack.cluster.namespace });
      await client.workflow.start('deployment', { taskQueue: 'not-polled', workflowId: `unauthorized-${Date.now()}`, args: [] });
    } finally {
      await connection.close();
    }
  }
});

/** "<name>: admitted", or "<name>: refused" with the gRPC status name when the server answered one. */
function verdict(name: string, attempt: Promise<unknown>): Promise<string> {
  return attempt.then(
    () => `${name}: admitted`,
    (error: { code?: number; cause?: { code?: number } }) => {
      const code = error.code ?? error.cause?.code;
      return code === status.PERMISSION_DENIED ? `${name}: refused (PermissionDenied)` : `${name}: refused`;
    },
  );
}
