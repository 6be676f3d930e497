import * as grpc from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, connect as connectTcp, Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, Server as TlsServer, TLSSocket } from 'node:tls';
import { loadServiceSettings } from '../../libs/config';
import { temporalConnectionOptions } from '../../libs/deployments';
import { issueClientCertificate, makeTestCertificates, TestCertificates } from '../support/certificates';
import { Harness } from '../support/harness';

/**
 * The gateway and the worker against a Temporal that wants mutual TLS: the run's dev server (plain)
 * behind a TLS-terminating proxy that asks every client for a certificate of the test's CA
 * (docs/operations.md#connecting-to-a-secured-temporal-mtls-temporal-cloud).
 */
describe('Temporal over TLS', () => {
  let certs: TestCertificates;
  let proxy: TlsServer;
  let proxyAddress: string;
  const clientsSeen: string[] = [];
  const refused: string[] = [];
  /** Client certificates (by CN) the proxy no longer lets through, and the connections it holds per CN. */
  const revoked = new Set<string>();
  const open = new Map<string, Set<TLSSocket>>();
  /** Every proxied connection, both ends, closed with the proxy. */
  const piped = new Set<Socket>();
  const revoke = (cn: string) => {
    revoked.add(cn);
    for (const socket of open.get(cn) ?? []) socket.destroy();
  };

  beforeAll(async () => {
    certs = makeTestCertificates();
    const [host, port] = process.env.TEST_TEMPORAL_ADDRESS!.split(':');
    proxy = createTlsServer(
      {
        key: certs.pem.serverKey,
        cert: certs.pem.serverCert,
        ca: certs.pem.ca,
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (socket: TLSSocket) => {
        const cn = String(socket.getPeerCertificate().subject?.CN);
        clientsSeen.push(cn);
        if (revoked.has(cn)) return void socket.destroy();
        open.set(cn, (open.get(cn) ?? new Set()).add(socket));
        socket.on('close', () => open.get(cn)?.delete(socket));
        const upstream = connectTcp(Number(port), host);
        piped.add(socket).add(upstream);
        socket.pipe(upstream).pipe(socket);
        socket.on('error', () => upstream.destroy());
        upstream.on('error', () => socket.destroy());
      },
    );
    proxy.on('tlsClientError', (error) => refused.push(error.message));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    const closed = new Promise((resolve) => proxy.close(resolve));
    for (const socket of piped) socket.destroy();
    await closed;
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('starts the worker and the gateway through mutual TLS: healthy, the workers polling', async () => {
    const harness = await Harness.start({
      env: {
        TEMPORAL_ADDRESS: proxyAddress,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        TEMPORAL_TLS_CA: certs.paths.ca,
        TEMPORAL_TLS_CERT: certs.pem.clientCert, // as text, the key as a file: both forms
        TEMPORAL_TLS_KEY: certs.paths.clientKey,
      },
    });
    try {
      const health = await harness.request('GET', '/health', { auth: null });
      expect(health.json).toEqual({ status: 'ok', checks: { mongo: 'ok', temporal: 'ok' } });
      // The only way to the server is the proxy: pollers on the queue came through it, with the certificate.
      const { taskQueue, namespace } = harness.config.temporal;
      const connection = harness.temporal.connection;
      let pollers = 0;
      for (const started = Date.now(); pollers === 0 && Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 200))) {
        const described = await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        pollers = described.pollers?.length ?? 0;
      }
      expect(`${pollers > 0 ? 'some' : 'no'} worker polling ${taskQueue} through the proxy`).toBe(
        `some worker polling ${taskQueue} through the proxy`,
      );
      expect(clientsSeen).toContain('deploy-webhooks worker');
    } finally {
      await harness.stop();
    }
  });

  it('moves the gateway and the workers to a renewed client certificate without a restart', async () => {
    const dir = mkdtempSync(join(certs.dir, 'renewal-'));
    const [certPath, keyPath] = [join(dir, 'client.pem'), join(dir, 'client.key')];
    writeFileSync(certPath, certs.pem.clientCert);
    writeFileSync(keyPath, certs.pem.clientKey);
    const harness = await Harness.start({
      env: {
        TEMPORAL_ADDRESS: proxyAddress,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        TEMPORAL_TLS_CA: certs.paths.ca,
        TEMPORAL_TLS_CERT: certPath,
        TEMPORAL_TLS_KEY: keyPath,
        TEMPORAL_TLS_RELOAD_INTERVAL: '100ms',
      },
    });
    let fresh: Connection | undefined;
    try {
      expect((await harness.request('GET', '/health', { auth: null })).status).toBe(200);
      const renewal = issueClientCertificate(certs, 'renewed', 'deploy-webhooks worker, renewed');
      writeFileSync(keyPath, renewal.key);
      writeFileSync(certPath, renewal.cert);
      // The old certificate is revoked: from now on only the renewed one reaches Temporal.
      const revokedAt = Date.now();
      revoke('deploy-webhooks worker');
      const healthy = await until(async () => (await harness.request('GET', '/health', { auth: null })).status === 200);
      expect(`the gateway ${healthy ? 'is' : 'is not'} healthy on the renewed certificate`).toBe(
        'the gateway is healthy on the renewed certificate',
      );
      // A connection made now reads the renewed files too; through it, the workers are seen polling again.
      fresh = await Connection.connect({ ...temporalConnectionOptions(harness.config.temporal), connectTimeout: '3 seconds' });
      const { namespace, taskQueue } = harness.config.temporal;
      const polling = await until(async () => {
        const { pollers } = await fresh!.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        });
        return (pollers ?? []).some(
          (poller) => Number(poller.lastAccessTime?.seconds ?? 0) * 1000 + (poller.lastAccessTime?.nanos ?? 0) / 1e6 > revokedAt,
        );
      });
      expect(`the workers ${polling ? 'poll' : 'do not poll'} on the renewed certificate`).toBe(
        'the workers poll on the renewed certificate',
      );
      expect(clientsSeen).toContain('deploy-webhooks worker, renewed');
    } finally {
      await fresh?.close();
      await harness.stop();
    }
  });

  it('is refused by the server without a client certificate', async () => {
    const withoutCertificate = temporalConnectionOptions(
      loadServiceSettings({
        MONGO_URL: 'mongodb://unused',
        ENCRYPTION_KEY: 'a'.repeat(64),
        TEMPORAL_ADDRESS: proxyAddress,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        TEMPORAL_TLS_CA: certs.paths.ca,
      }).temporal,
    );
    const refusedBefore = refused.length;
    await expect(Connection.connect({ ...withoutCertificate, connectTimeout: '3 seconds' })).rejects.toThrow();
    await expect(NativeConnection.connect(withoutCertificate)).rejects.toThrow();
    expect(refused.length).toBeGreaterThan(refusedBefore);
    expect(refused.at(-1)).toMatch(/certificate/i);
  });

  it('sends TEMPORAL_API_KEY as a bearer token, over TLS, from both kinds of connection', async () => {
    // A gRPC server with the test's certificate that answers GetSystemInfo and records who asked.
    const authorizations: string[] = [];
    const server = new grpc.Server();
    const raw = (buffer: Buffer) => buffer;
    server.addService(
      {
        GetSystemInfo: {
          path: '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
          requestStream: false,
          responseStream: false,
          requestSerialize: raw,
          requestDeserialize: raw,
          responseSerialize: raw,
          responseDeserialize: raw,
        },
      },
      {
        GetSystemInfo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          authorizations.push(String(call.metadata.get('authorization')[0]));
          callback(null, Buffer.alloc(0)); // an empty GetSystemInfoResponse
        },
      },
    );
    const credentials = grpc.ServerCredentials.createSsl(
      null,
      [{ private_key: Buffer.from(certs.pem.serverKey), cert_chain: Buffer.from(certs.pem.serverCert) }],
      false,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    try {
      const options = temporalConnectionOptions(
        loadServiceSettings({
          MONGO_URL: 'mongodb://unused',
          ENCRYPTION_KEY: 'a'.repeat(64),
          TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
          TEMPORAL_TLS_SERVER_NAME: 'localhost',
          TEMPORAL_TLS_CA: certs.paths.ca,
          TEMPORAL_API_KEY: 'cloud-api-key-for-tests',
        }).temporal,
      );
      const client = await Connection.connect({ ...options, connectTimeout: '3 seconds' });
      await client.close();
      const native = await NativeConnection.connect(options);
      await native.close();
      expect(authorizations.length).toBeGreaterThanOrEqual(2);
      expect(new Set(authorizations)).toEqual(new Set(['Bearer cloud-api-key-for-tests']));
    } finally {
      server.forceShutdown();
    }
  });
});

/** Whether `check` came true within 10 seconds (asked every 200 ms). */
async function until(check: () => Promise<boolean>): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((resolve) => setTimeout(resolve, 200)))
    if (await check().catch(() => false)) return true;
  return false;
}
