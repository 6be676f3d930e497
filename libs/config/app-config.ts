import { createPrivateKey } from 'node:crypto';
import { OutboundGuard, OutboundPolicy, parseRuleList } from '../targets/outbound-guard';
import { ConfigError, Env, Settings } from './settings';

/** Settings of the gateway and the worker; the same variables in `npm start`, docker-compose and production. */
export interface AppConfig {
  mongo: { url: string; database: string };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  gateway: { host: string; port: number; publicUrl: string; bodyLimitBytes: number; requestTimeoutMs: number };
  /** Which receiver hosts the worker may call (link-local and cloud metadata refused by default). */
  targets: OutboundPolicy;
  admin: { username: string; password?: string };
  /** Failed sign-ins per minute before 429 mw:auth:throttled, per user and per client address. */
  loginLimits: { perUser: number; perAddress: number };
  /** `app`: the GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_APP_WEBHOOK_SECRET), all three or none. */
  github: { apiUrl: string; app?: { id: number; privateKey: string; webhookSecret: string } };
  /** The GitHub checks gate (SPEC 7): how often it polls, how long a queued suite may hold a deployment. */
  ci: { pollIntervalMs: number; queuedGraceMs: number };
  /** 32-byte key for third-party tokens and target passwords at rest (AES-256-GCM). */
  encryptionKey: Buffer;
  travis: { publicKey?: string; waitTimeoutMs: number };
  /** Where fetched tarballs wait for upload: a directory, or GridFS for workers on several hosts. */
  blobs: { store: 'dir' | 'gridfs'; dir: string };
  /** Tarballs of this many newest releases per app stay in blob storage, for rollbacks without GitHub (SPEC 6.5). */
  releases: { kept: number };
  tar: { maxEntries: number; maxBytes: number };
  /** For apps without a target of their own; `npm start` points it at the reference receiver. */
  defaultTarget?: { url: string; statusUrl?: string; username?: string; password?: string };
  /** How long raw webhook payloads and status entries are kept (0: for ever), and how often the worker sweeps. */
  retention: { payloadsMs: number; statusMs: number; sweepEveryMs: number };
  /** The changes feed (SPEC 2.3): heartbeat, ordering delay, per-client buffer, longest connection, open feeds per user. */
  feed: { heartbeatMs: number; settleMs: number; clientBufferBytes: number; maxDurationMs: number; maxPerUser: number };
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** `json` (one JSON object a line, the default) or `pretty` (pino-pretty, for development). */
  logFormat: 'json' | 'pretty';
  /** The worker's Prometheus listeners (the gateway serves `/metrics` itself); each is off unless its port is set. */
  metrics: { host: string; workerPort?: number; temporalPort?: number };
}

export function loadAppConfig(env: Env = process.env): AppConfig {
  const s = new Settings(env);
  const host = s.string('GATEWAY_HOST', '127.0.0.1');
  const port = s.port('GATEWAY_PORT', 3000);
  return {
    mongo: {
      url: s.url('MONGO_URL', undefined, ['mongodb:', 'mongodb+srv:']),
      database: s.string('MONGO_DATABASE', 'deploy_webhooks'),
    },
    temporal: {
      address: s.string('TEMPORAL_ADDRESS', '127.0.0.1:7233'),
      namespace: s.string('TEMPORAL_NAMESPACE', 'default'),
      taskQueue: s.string('TEMPORAL_TASK_QUEUE', 'deployments'),
      uiUrl: s.url('TEMPORAL_UI_URL', 'http://127.0.0.1:8233'),
    },
    gateway: {
      host,
      port,
      publicUrl: s.url('GATEWAY_PUBLIC_URL', `http://${host}:${port}`),
      bodyLimitBytes: s.int('GATEWAY_BODY_LIMIT_BYTES', 5 * 1024 * 1024, { min: 1024 }),
      requestTimeoutMs: s.durationMs('GATEWAY_REQUEST_TIMEOUT', '30s'),
    },
    targets: outboundPolicy(s),
    admin: { username: s.string('ADMIN_USERNAME', 'admin'), password: s.optionalString('ADMIN_PASSWORD') },
    loginLimits: { perUser: s.int('LOGIN_FAILURES_PER_USER', 20, { min: 1 }), perAddress: s.int('LOGIN_FAILURES_PER_ADDRESS', 200, { min: 1 }) },
    github: { apiUrl: s.url('GITHUB_API_URL', 'https://api.github.com'), app: githubApp(s) },
    ci: { pollIntervalMs: s.durationMs('CI_POLL_INTERVAL', '30s'), queuedGraceMs: s.durationMs('CI_QUEUED_GRACE', '10m') },
    encryptionKey: encryptionKey(s),
    travis: {
      publicKey: s.optionalString('TRAVIS_PUBLIC_KEY'),
      waitTimeoutMs: s.durationMs('TRAVIS_WAIT_TIMEOUT', '1h'),
    },
    blobs: { store: s.oneOf('BLOB_STORE', ['dir', 'gridfs'] as const, 'dir'), dir: s.string('BLOB_DIR', '.stack/blobs') },
    releases: { kept: s.int('RELEASES_KEPT', 5, { min: 1 }) },
    tar: {
      maxEntries: s.int('TAR_MAX_ENTRIES', 100_000, { min: 1 }),
      maxBytes: s.int('TAR_MAX_BYTES', 2 * 1024 * 1024 * 1024, { min: 1 }),
    },
    defaultTarget: s.optionalString('DEFAULT_TARGET_URL') === undefined ? undefined : {
      url: s.url('DEFAULT_TARGET_URL'),
      statusUrl: s.optionalString('DEFAULT_TARGET_STATUS_URL') && s.url('DEFAULT_TARGET_STATUS_URL'),
      username: s.optionalString('DEFAULT_TARGET_USERNAME'),
      password: s.optionalString('DEFAULT_TARGET_PASSWORD'),
    },
    retention: {
      payloadsMs: s.durationMs('PAYLOAD_RETENTION', '30d'),
      statusMs: s.durationMs('STATUS_RETENTION', '180d'),
      sweepEveryMs: s.durationMs('RETENTION_SWEEP_INTERVAL', '1h'),
    },
    feed: {
      heartbeatMs: s.durationMs('FEED_HEARTBEAT', '15s'),
      settleMs: s.durationMs('FEED_SETTLE', '500ms'),
      clientBufferBytes: s.int('FEED_CLIENT_BUFFER_BYTES', 1024 * 1024, { min: 1024 }),
      maxDurationMs: s.durationMs('FEED_MAX_DURATION', '1h'),
      maxPerUser: s.int('FEED_MAX_PER_USER', 50, { min: 1 }),
    },
    logLevel: s.oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const, 'log'),
    logFormat: s.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
    metrics: {
      host: s.string('METRICS_HOST', '127.0.0.1'),
      workerPort: s.optionalString('WORKER_METRICS_PORT') === undefined ? undefined : s.port('WORKER_METRICS_PORT', 0),
      temporalPort: s.optionalString('TEMPORAL_METRICS_PORT') === undefined ? undefined : s.port('TEMPORAL_METRICS_PORT', 0),
    },
  };
}

function outboundPolicy(s: Settings): OutboundPolicy {
  const policy = { allow: parseRuleList(s.optionalString('TARGET_ALLOW')), deny: parseRuleList(s.optionalString('TARGET_DENY')) };
  for (const name of ['TARGET_ALLOW', 'TARGET_DENY'] as const) {
    try {
      new OutboundGuard(name === 'TARGET_ALLOW' ? { allow: policy.allow } : { deny: policy.deny });
    } catch (error) {
      throw new ConfigError(name, (error as Error).message);
    }
  }
  return policy;
}

/** The GitHub App: all three settings or none; the key must be a private key GitHub would have issued (PEM). */
function githubApp(s: Settings): AppConfig['github']['app'] {
  const names = ['GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_WEBHOOK_SECRET'] as const;
  const given = names.filter((name) => s.optionalString(name) !== undefined);
  if (given.length === 0) return undefined;
  const missing = names.find((name) => !given.includes(name));
  if (missing) throw new ConfigError(missing, `is required with ${given.join(' and ')} (a GitHub App needs its id, private key and webhook secret)`);
  // A key pasted into one line of an env file carries its line breaks as `\n`.
  const privateKey = s.string('GITHUB_APP_PRIVATE_KEY').replace(/\\n/g, '\n');
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new ConfigError('GITHUB_APP_PRIVATE_KEY', 'expected the App\'s private key as PEM (-----BEGIN RSA PRIVATE KEY----- …)');
  }
  return { id: s.int('GITHUB_APP_ID', 0, { min: 1 }), privateKey, webhookSecret: s.string('GITHUB_APP_WEBHOOK_SECRET') };
}

function encryptionKey(s: Settings): Buffer {
  const raw = s.string('ENCRYPTION_KEY');
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('ENCRYPTION_KEY', 'expected 32 bytes as 64 hex digits or base64');
  return key;
}
