import { INestApplicationContext } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { randomBytes } from 'node:crypto';
import { createGatewayApp } from '../../apps/gateway/create-gateway';
import { createWorkerApp } from '../../apps/worker/create-worker';
import { ServiceSettings, loadServiceSettings } from '../../libs/config';
import { ClosableConnection, temporalConnectionOptions } from '../../libs/deployments';
import { appLogDestination } from './app-logs';

export const ADMIN = { username: 'admin', password: 'admin-password-for-tests' };

/** TARGET_ALLOW for stacks whose receivers listen on loopback (refused by default outside the dev stack). */
export const LOCAL_RECEIVERS = '127.0.0.0/8,::1';

/**
 * One test file's slice of the real stack: the servers from the global setup, its own
 * database and task queue, and in-process gateway and worker on free ports, logging to the test
 * file's application log (app-logs.ts), not the console.
 */
export class Harness {
  config!: ServiceSettings;
  gateway?: NestFastifyApplication;
  worker?: INestApplicationContext;
  baseUrl!: string;
  temporal!: Client;
  mongo!: MongoClient;
  private temporalConnection!: ClosableConnection;

  /**
   * `mongoUrl`: where the gateway and worker reach MongoDB (e.g. a MongoFaultProxy in front of
   * the run's server); the harness's own client (`db`) always connects to the server directly.
   */
  static async start(
    options: { gateway?: boolean; worker?: boolean; env?: Record<string, string>; mongoUrl?: string; workerMongoUrl?: string } = {},
  ): Promise<Harness> {
    const harness = new Harness();
    const id = randomBytes(4).toString('hex');
    harness.config = loadServiceSettings({
      MONGO_URL: process.env.TEST_MONGO_URL,
      MONGO_DATABASE: `test_${id}`,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      TEMPORAL_UI_URL: process.env.TEST_TEMPORAL_UI_URL,
      TEMPORAL_TASK_QUEUE: `deployments-${id}`,
      GATEWAY_PORT: '0',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      BLOB_DIR: `${process.env.TEST_LOG_DIR ?? '/tmp'}/blobs-${id}`,
      LOG_LEVEL: 'warn',
      // Tests sign in wrongly on purpose, all from 127.0.0.1; test/auth/throttle checks the limits.
      LOGIN_FAILURES_PER_USER: '100000',
      LOGIN_FAILURES_PER_ADDRESS: '100000',
      // Tests create apps and tokens and redeploy in bulk; test/apps/quotas checks the caps.
      APPS_MAX_PER_USER: '100000',
      TOKENS_MAX_PER_USER: '100000',
      DEPLOYS_PER_APP_PER_MINUTE: '100000',
      // Loopback and private targets are refused unless allowed: the tests' receivers run on loopback.
      TARGET_ALLOW: LOCAL_RECEIVERS,
      ...options.env,
    });
    harness.mongo = await MongoClient.connect(harness.config.mongo.url);
    if (options.mongoUrl) harness.config = { ...harness.config, mongo: { ...harness.config.mongo, url: options.mongoUrl } };
    harness.temporalConnection = new ClosableConnection(temporalConnectionOptions(harness.config.temporal));
    harness.temporal = new Client({ connection: harness.temporalConnection.connection, namespace: harness.config.temporal.namespace });
    const workerConfig = options.workerMongoUrl
      ? { ...harness.config, mongo: { ...harness.config.mongo, url: options.workerMongoUrl } }
      : harness.config;
    if (options.worker !== false) harness.worker = await createWorkerApp(workerConfig, {}, { logDestination: appLogDestination() });
    if (options.gateway !== false) {
      harness.gateway = await createGatewayApp(harness.config, { logDestination: appLogDestination() });
      await harness.gateway.listen(0, '127.0.0.1');
      harness.baseUrl = await harness.gateway.getUrl();
    }
    return harness;
  }

  get db() {
    return this.mongo.db(this.config.mongo.database);
  }

  async request(
    method: string,
    path: string,
    options: { auth?: { username: string; password: string } | null; headers?: Record<string, string>; body?: string | object } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth === undefined ? ADMIN : options.auth;
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    let body: string | undefined;
    if (typeof options.body === 'object') {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    } else body = options.body;
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  async stop(): Promise<void> {
    await this.gateway?.close();
    await this.worker?.close();
    await this.temporalConnection?.close();
    await this.mongo
      ?.db(this.config.mongo.database)
      .dropDatabase()
      .catch(() => undefined);
    await this.mongo?.close();
  }
}
