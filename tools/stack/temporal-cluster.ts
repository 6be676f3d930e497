import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject, randomUUID, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, Server } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PostgresServer, startPostgres } from './postgresql';
import { freePort, ManagedProcess, startProcess, waitForPort } from './processes';
import { provisionTools, toolsDir } from './tools';

export const TEMPORAL_SERVER_VERSION = process.env.TEMPORAL_SERVER_VERSION ?? '1.29.1';

/** Files of the cluster's private CA: what the server presents and what its clients present. */
export interface ClusterCertificates {
  dir: string;
  ca: string;
  caKey: string;
  /** The servers' certificate (localhost, 127.0.0.1), also their client certificate between nodes. */
  server: { cert: string; key: string };
  /** The certificate the product's gateways and workers present. */
  client: { cert: string; key: string };
}

const openssl = (dir: string, ...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/**
 * A free port below 32768: Temporal keeps each node's membership port in a SMALLINT column
 * (cluster_membership.rpc_port), and the system's ephemeral ports lie above it.
 */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** A key and a certificate signed by the CA in `dir` (`<name>.key`, `<name>.pem`). */
export function issueCertificate(dir: string, name: string, cn: string, extensions: string): { cert: string; key: string } {
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    dir,
    ...`x509 -req -in ${name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 -extfile ${name}.ext -out ${name}.pem`.split(' '),
  );
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** A private CA (EC P-256, with the machine's openssl) and the certificates of a cluster and its clients. */
export function makeClusterCertificates(dir: string, caName = 'deploy-webhooks cluster CA'): ClusterCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key');
  openssl(dir, 'req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${caName}`, '-days', '7', '-out', 'ca.pem');
  const server = issueCertificate(
    dir,
    'server',
    'localhost',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n',
  );
  const client = issueCertificate(dir, 'client', 'deploy-webhooks', 'extendedKeyUsage=clientAuth\n');
  return { dir, ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), server, client };
}

/** The server and its SQL tool from the tools cache (scripts/provision-tools.sh cluster). */
export function temporalServerBinaries(): { server: string; sqlTool: string } {
  const dir = join(toolsDir(), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const binaries = { server: join(dir, 'temporal-server'), sqlTool: join(dir, 'temporal-sql-tool') };
  if (!existsSync(binaries.server) || !existsSync(binaries.sqlTool)) provisionTools('cluster');
  return binaries;
}

/**
 * The two databases Temporal keeps (its state and its visibility), created and brought to the
 * server's schema by the server's own tool, from the schema compiled into it.
 */
export function setUpTemporalSchema(pg: PostgresServer, sqlTool = temporalServerBinaries().sqlTool): void {
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ]) {
    const tool = (...args: string[]) =>
      execFileSync(
        sqlTool,
        ['--plugin', 'postgres12', '--ep', pg.host, '--port', String(pg.port), '--user', pg.user, '--db', database, ...args],
        { stdio: 'pipe' },
      );
    tool('create-database');
    tool('setup-schema', '-v', '0.0');
    tool('update-schema', '--schema-name', schema);
  }
}

export type ServiceName = 'frontend' | 'internal-frontend' | 'history' | 'matching' | 'worker';

export interface ClusterNode {
  name: string;
  service: ServiceName;
  grpcPort: number;
  membershipPort: number;
  httpPort?: number;
  process?: ManagedProcess;
  /** Starts again on new ports after one was taken (restartOnTakenPort). */
  portRetries?: number;
}

export interface TemporalClusterOptions {
  dir: string;
  logDir: string;
  /** Frontends, each a process of its own with its own address (2 unless told). */
  frontends?: number;
  namespace?: string;
  /** Extra dynamic config (key → value), beside the cluster's own. */
  dynamicConfig?: Record<string, unknown>;
  /**
   * Authorization on the frontends (Temporal's default authorizer and JWT claim mapper): every
   * call needs `authorization: Bearer <JWT>` signed by the cluster's key (`apiKey()`), whose
   * `permissions` claim grants `<namespace>:<role>`. The system worker then goes through an
   * internal frontend, on the nodes' own TLS, as Temporal's docs advise.
   */
  authorization?: boolean;
}

/** The JWT signing key of a cluster with authorization, and the JWKS server the frontends read it from. */
interface Signer {
  kid: string;
  privateKey: KeyObject;
  jwks: Server;
  url: string;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** A JWT (RS256) with `sub` and `permissions` claims, valid for `ttlSeconds`. */
export function signJwt(
  privateKey: KeyObject,
  kid: string,
  claims: { sub: string; permissions: string[] },
  ttlSeconds = 24 * 3600,
): string {
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))}.${base64url(
    JSON.stringify({ ...claims, iat: now, exp: now + ttlSeconds }),
  )}`;
  return `${unsigned}.${base64url(sign('sha256', Buffer.from(unsigned), privateKey))}`;
}

/**
 * A Temporal cluster as production runs one: the server built from its Go module, one process per
 * service (history, matching, the system worker, and `frontends` frontends) finding each other
 * through PostgreSQL-backed membership, on a PostgreSQL server of its own. Every gRPC listener wants
 * mutual TLS with the cluster's private CA: the frontends from clients, the other services between
 * nodes. Answers once every frontend serves the namespace.
 */
export class TemporalCluster {
  postgres!: PostgresServer;
  certs!: ClusterCertificates;
  nodes: ClusterNode[] = [];
  readonly namespace: string;
  /** How long each phase of the start took, in ms. */
  readonly startup: Record<string, number> = {};
  private binaries!: { server: string; sqlTool: string };
  private signer?: Signer;
  private readonly configDir: string;

  constructor(private readonly options: TemporalClusterOptions) {
    this.namespace = options.namespace ?? 'default';
    this.configDir = join(options.dir, 'config');
  }

  get frontends(): ClusterNode[] {
    return this.nodes.filter((node) => node.service === 'frontend');
  }

  /** `127.0.0.1:<port>` of frontend `i`. */
  address(i = 0): string {
    return `127.0.0.1:${this.frontends[i].grpcPort}`;
  }

  /**
   * The product's settings for frontend `i`: mutual TLS with the client certificate and, with
   * authorization, an API key that may administer the namespace (the worker registers search
   * attributes).
   */
  clientEnv(i = 0): NodeJS.ProcessEnv {
    return {
      TEMPORAL_ADDRESS: this.address(i),
      TEMPORAL_NAMESPACE: this.namespace,
      TEMPORAL_TLS_CA: this.certs.ca,
      TEMPORAL_TLS_CERT: this.certs.client.cert,
      TEMPORAL_TLS_KEY: this.certs.client.key,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      ...(this.signer ? { TEMPORAL_API_KEY: this.apiKey('deploy-webhooks', [`${this.namespace}:admin`]) } : {}),
    };
  }

  /** An API key (a JWT the frontends accept) for `sub` with `permissions` (`<namespace>:<role>`, `temporal-system:<role>`). */
  apiKey(sub: string, permissions: string[]): string {
    if (!this.signer) throw new Error('this cluster runs without authorization');
    return signJwt(this.signer.privateKey, this.signer.kid, { sub, permissions });
  }

  /** A client connection to frontend `i` with the client certificate (and, with authorization, a system administrator's key). */
  connect(i = 0, apiKey = this.signer ? this.apiKey('deploy-webhooks stack', ['temporal-system:admin']) : undefined): Promise<Connection> {
    return Connection.connect({
      address: this.address(i),
      tls: {
        serverNameOverride: 'localhost',
        serverRootCACertificate: readFileSync(this.certs.ca),
        clientCertPair: { crt: readFileSync(this.certs.client.cert), key: readFileSync(this.certs.client.key) },
      },
      apiKey,
      connectTimeout: '10 seconds',
    });
  }

  async start(): Promise<this> {
    const time = async <T>(phase: string, run: () => Promise<T> | T): Promise<T> => {
      const started = Date.now();
      try {
        return await run();
      } finally {
        this.startup[phase] = Date.now() - started;
      }
    };
    this.binaries = await time('provision', () => temporalServerBinaries());
    this.certs = await time('certificates', () => makeClusterCertificates(join(this.options.dir, 'certs')));
    this.postgres = await time('postgres', () =>
      startPostgres({ dataDir: join(this.options.dir, 'postgres'), logDir: this.options.logDir }),
    );
    await time('schema', () => setUpTemporalSchema(this.postgres, this.binaries.sqlTool));
    if (this.options.authorization) this.signer = await startJwks();
    mkdirSync(this.configDir, { recursive: true });
    const nodes: Array<[string, ServiceName]> = [
      ['history', 'history'],
      ['matching', 'matching'],
      ...Array.from({ length: this.options.frontends ?? 2 }, (_, i): [string, ServiceName] => [`frontend-${i}`, 'frontend']),
      ...(this.options.authorization ? [['internal-frontend', 'internal-frontend'] as [string, ServiceName]] : []),
      ['system-worker', 'worker'],
    ];
    for (const [name, service] of nodes)
      this.nodes.push({
        name,
        service,
        grpcPort: await freePort(),
        membershipPort: await freeLowPort(),
        httpPort: service.endsWith('frontend') ? await freePort() : undefined,
      });
    writeFileSync(join(this.options.dir, 'dynamicconfig.yaml'), stringify(this.dynamicConfig()));
    await time('services', async () => {
      // The first node to start writes the cluster's metadata to the database; nodes starting at the
      // same moment race for it (SaveClusterMetadata: version mismatch) and exit. History first, alone.
      const [first, ...rest] = this.nodes;
      await waitForPort(this.startNode(first), '127.0.0.1', first.grpcPort, 120_000);
      for (const node of rest) this.startNode(node);
      await Promise.all(this.frontends.map((node) => waitForPort(node.process!, '127.0.0.1', node.grpcPort, 120_000)));
    });
    await time('namespace', () => this.registerNamespace());
    return this;
  }

  /** Starts (or starts again, after a kill) one node of the cluster on its ports. */
  startNode(node: ClusterNode): ManagedProcess {
    writeFileSync(join(this.configDir, `${node.name}.yaml`), stringify(this.config(node)), { mode: 0o600 });
    node.process = startProcess(
      `temporal-${node.name}`,
      this.binaries.server,
      ['--root', this.options.dir, '--config', 'config', '--env', node.name, '--allow-no-auth', 'start', '--service', node.service],
      { logFile: join(this.options.logDir, `temporal-${node.name}.log`) },
    );
    return node.process;
  }

  /** The namespace, registered through frontend 0, then awaited on every frontend (their caches refresh every few seconds). */
  private async registerNamespace(): Promise<void> {
    const connections = await Promise.all(this.frontends.map((_, i) => this.connectWhenServing(i)));
    try {
      await connections[0].workflowService
        .registerNamespace({ namespace: this.namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
        .catch((error: Error) => {
          if (!/already exists/i.test(error.message)) throw error;
        });
      for (const connection of connections) {
        const deadline = Date.now() + 60_000;
        for (;;) {
          try {
            await connection.workflowService.describeNamespace({ namespace: this.namespace });
            await connection.workflowService.listOpenWorkflowExecutions({ namespace: this.namespace, maximumPageSize: 1 });
            break;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      }
    } finally {
      await Promise.all(connections.map((connection) => connection.close()));
    }
  }

  /**
   * A node that exited at start because another process took one of its ports between `freePort()`
   * and its bind (seen with a test run beside the cluster): started again on new ports, at most
   * three times; false for any other exit.
   */
  private async restartOnTakenPort(node: ClusterNode): Promise<boolean> {
    const log = node.process && existsSync(node.process.logFile) ? readFileSync(node.process.logFile, 'utf8') : '';
    if (!/address already in use/.test(log) || (node.portRetries ?? 0) >= 3) return false;
    node.portRetries = (node.portRetries ?? 0) + 1;
    node.grpcPort = await freePort();
    node.membershipPort = await freeLowPort();
    if (node.httpPort !== undefined) node.httpPort = await freePort();
    this.startNode(node);
    return true;
  }

  /** A connection to frontend `i` once it answers (its membership has formed: history and matching found). */
  private async connectWhenServing(i: number): Promise<Connection> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const exited = this.nodes.find((node) => node.process?.child.exitCode !== null || node.process?.child.signalCode !== null);
      if (exited && !(await this.restartOnTakenPort(exited)))
        throw new Error(`Temporal's ${exited.name} exited while the cluster started; see ${exited.process?.logFile}`);
      try {
        const connection = await this.connect(i);
        await connection.workflowService.getClusterInfo({});
        return connection;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private dynamicConfig(): Record<string, Array<{ value: unknown }>> {
    const values: Record<string, unknown> = {
      // Users' tasks dispatched in turn by fairness key, as on the dev server (tools/stack/servers.ts).
      'matching.enableFairness': true,
      ...this.options.dynamicConfig,
    };
    return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [{ value }]]));
  }

  /** One node's configuration: the whole cluster's ports (membership finds the rest), TLS, PostgreSQL. */
  private config(node: ClusterNode): Record<string, unknown> {
    const { certs, postgres } = this;
    const sql = (databaseName: string, maxConns: number) => ({
      sql: {
        pluginName: 'postgres12',
        databaseName,
        connectAddr: `${postgres.host}:${postgres.port}`,
        connectProtocol: 'tcp',
        user: postgres.user,
        password: '',
        maxConns,
        maxIdleConns: maxConns,
        maxConnLifetime: '1h',
      },
    });
    const serverTls = { certFile: certs.server.cert, keyFile: certs.server.key, requireClientAuth: true, clientCaFiles: [certs.ca] };
    const clientTls = { serverName: 'localhost', rootCaFiles: [certs.ca] };
    const rpc = (n: ClusterNode) => ({
      rpc: {
        grpcPort: n.grpcPort,
        membershipPort: n.membershipPort,
        bindOnLocalHost: true,
        ...(n.httpPort ? { httpPort: n.httpPort } : {}),
      },
    });
    const services = Object.fromEntries(
      this.nodes
        .map((n) => n.service)
        .filter((service, i, all) => all.indexOf(service) === i)
        .map((service) => [service, rpc(service === node.service ? node : this.nodes.find((n) => n.service === service)!)]),
    );
    return {
      log: { stdout: true, level: process.env.TEMPORAL_CLUSTER_LOG_LEVEL ?? 'warn' }, // debug, info, warn, error
      persistence: {
        defaultStore: 'default',
        visibilityStore: 'visibility',
        numHistoryShards: 4,
        datastores: { default: sql('temporal', 10), visibility: sql('temporal_visibility', 4) },
      },
      global: {
        membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
        tls: {
          internode: { server: serverTls, client: clientTls },
          frontend: { server: serverTls, client: clientTls },
          systemWorker: { certFile: certs.server.cert, keyFile: certs.server.key, client: clientTls },
        },
        ...(this.signer
          ? {
              authorization: {
                jwtKeyProvider: { keySourceURIs: [this.signer.url], refreshInterval: '1m' },
                permissionsClaimName: 'permissions',
                authorizer: 'default',
                claimMapper: 'default',
              },
            }
          : {}),
      },
      services,
      clusterMetadata: {
        enableGlobalNamespace: false,
        failoverVersionIncrement: 10,
        masterClusterName: 'active',
        currentClusterName: 'active',
        clusterInformation: {
          active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: this.address(0) },
        },
      },
      dcRedirectionPolicy: { policy: 'noop' },
      dynamicConfigClient: { filepath: join(this.options.dir, 'dynamicconfig.yaml'), pollInterval: '10s' },
    };
  }

  async stop(): Promise<void> {
    // Frontends and the system worker first, then matching and history, then their database.
    for (const node of [...this.nodes].reverse()) await node.process?.stop();
    await this.postgres?.process.stop();
    this.signer?.jwks.closeAllConnections();
    if (this.signer) await new Promise((resolve) => this.signer!.jwks.close(resolve));
  }
}

/** A signing key and the JWKS (its public half) served on loopback, for the frontends' JWT claim mapper. */
async function startJwks(): Promise<Signer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const body = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
  const jwks = createHttpServer((_, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const address = jwks.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { kid, privateKey, jwks, url: `http://127.0.0.1:${port}/jwks.json` };
}
