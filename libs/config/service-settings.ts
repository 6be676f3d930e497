import { createPrivateKey, X509Certificate } from 'node:crypto';
import { OutboundRules, parseOutboundRule, parseRuleList } from './outbound-rules';
import { ConfigError, Env, parseSettings, Pem, setting } from './settings';

/** Settings of the gateway and the worker; the same variables in `npm start`, docker-compose and production. */
export interface ServiceSettings {
  mongo: { url: string; database: string };
  /** How long after a step was scheduled the worker still retries its store failures (docs/reliability.md#store-failures-inside-a-step). */
  storeOutageToleranceMs: number;
  /** `notificationsTaskQueue`: deliveries run there, on their own worker slots (docs/reliability.md#tenant-isolation-review). */
  temporal: TemporalConnectionSettings & {
    namespace: string;
    taskQueue: string;
    notificationsTaskQueue: string;
    uiUrl: string;
    /** Activity tasks of one user the server dispatches per second on the deployments' queue (0: no limit). */
    activitiesPerUserPerSecond: number;
  };
  gateway: { host: string; port: number; publicUrl: string; bodyLimitBytes: number; requestTimeoutMs: number };
  /** Which receiver hosts the worker may call (link-local and cloud metadata refused by default). */
  targets: OutboundRules;
  admin: { username: string; password?: string };
  /** Failed sign-ins per minute before 429 mw:auth:throttled, per user and per client address. */
  loginLimits: { perUser: number; perAddress: number };
  /** `app`: the GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY, GITHUB_APP_WEBHOOK_SECRET), all three or none. */
  github: { apiUrl: string; app?: { id: number; privateKey: string; webhookSecret: string } };
  /** The GitHub checks gate (docs/contract.md#github-checks): how often it polls, how long a queued suite may hold a deployment. */
  ci: { pollIntervalMs: number; queuedGraceMs: number };
  /** How often each preview asks GitHub whether its pull request is still open (docs/contract.md#preview-apps). */
  previews: { reconcileIntervalMs: number };
  /** 32-byte key for third-party tokens and target passwords at rest (AES-256-GCM). */
  encryptionKey: Buffer;
  travis: { publicKey?: string; waitTimeoutMs: number };
  /** Where fetched tarballs wait for upload: a directory, or GridFS for workers on several hosts. */
  blobs: { store: 'dir' | 'gridfs'; dir: string };
  /** Tarballs of this many newest releases per app stay in blob storage, for rollbacks without GitHub (docs/contract.md#rollback-and-the-lock). */
  releases: { kept: number };
  tar: { maxEntries: number; maxBytes: number };
  /** For apps without a target of their own; `npm start` points it at the reference receiver. */
  defaultTarget?: { url: string; statusUrl?: string; username?: string; password?: string };
  /** How long raw webhook payloads and status entries are kept (0: for ever), and how often the worker sweeps. */
  retention: { payloadsMs: number; statusMs: number; sweepEveryMs: number };
  /** Notification subscriptions: caps, delivery slots, redelivery rate, when a failing subscriber is disabled. */
  notifications: NotificationLimits;
  /** How often the worker closes records whose workflow ended in Temporal without its end, and how long a record must be unmoved first. */
  workflowSweep: { everyMs: number; graceMs: number };
  /** The changes feed (docs/contract.md#the-changes-feed): heartbeat, ordering delay, per-client buffer, longest connection, open feeds per user. */
  feed: { heartbeatMs: number; settleMs: number; clientBufferBytes: number; maxDurationMs: number; maxPerUser: number };
  /** Per-user caps on apps and API tokens, and explicit deployments per app and minute (docs/reliability.md#tenant-isolation-review). */
  quotas: { appsPerUser: number; tokensPerUser: number; deploysPerAppPerMinute: number };
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** `json` (one JSON object a line, the default) or `pretty` (pino-pretty, for development). */
  logFormat: 'json' | 'pretty';
  /** The worker's Prometheus listeners (the gateway serves `/metrics` itself); each is off unless its port is set. */
  metrics: { host: string; workerPort?: number; temporalPort?: number };
  /** A prebuilt workflow bundle for the worker (the Docker image's); unset: the worker bundles at start. */
  workflowBundlePath?: string;
}

/**
 * Where and how the gateway and the worker reach Temporal (docs/operations.md#connecting-to-a-secured-temporal-mtls-temporal-cloud): `tls` unset is a plain connection; an API key is only ever sent over TLS.
 */
export interface TemporalConnectionSettings {
  address: string;
  /** `reloadIntervalMs`: how often PEM files are checked for a renewal. */
  tls?: { ca?: Pem; cert?: Pem; key?: Pem; serverName?: string; reloadIntervalMs: number };
  apiKey?: string;
}

export interface NotificationLimits {
  maxPerApp: number;
  maxPerUser: number;
  /** Deliveries attempted at once by one worker (its own slots, apart from the deployments'). */
  concurrency: number;
  /** Redeliveries asked per app in any minute. */
  redeliveriesPerMinute: number;
  /** A subscriber is disabled after this many failed attempts in a row, failing for at least `disableAfterMs`. */
  disableAfterFailures: number;
  disableAfterMs: number;
}

/** One user's activity tasks per second on the deployments' queue: about 1.5 deployments a second, sustained. */
export const DEFAULT_ACTIVITIES_PER_USER_PER_SECOND = 10;

/** Every variable of the gateway and the worker, in the order their problems are reported. */
const SERVICE_SETTINGS = {
  GATEWAY_HOST: setting.string('127.0.0.1'),
  GATEWAY_PORT: setting.port(3000),
  MONGO_URL: setting.url(undefined, ['mongodb:', 'mongodb+srv:']),
  MONGO_DATABASE: setting.string('deploy_webhooks'),
  STORE_OUTAGE_TOLERANCE: setting.durationMs('10m'),
  TEMPORAL_ADDRESS: setting.string('127.0.0.1:7233'),
  TEMPORAL_TLS: setting.optionalBool(), // default: on when any TEMPORAL_TLS_* or TEMPORAL_API_KEY is set
  TEMPORAL_TLS_CA: setting.optionalPem('certificate'),
  TEMPORAL_TLS_CERT: setting.optionalPem('certificate'),
  TEMPORAL_TLS_KEY: setting.optionalPem('key'),
  TEMPORAL_TLS_SERVER_NAME: setting.optionalString(),
  TEMPORAL_API_KEY: setting.optionalString(),
  TEMPORAL_TLS_RELOAD_INTERVAL: setting.durationMs('30s'),
  TEMPORAL_NAMESPACE: setting.string('default'),
  TEMPORAL_TASK_QUEUE: setting.string('deployments'), // libs/deployments/workflow-ids.ts DEFAULT_TASK_QUEUE: its release lines keep their ids
  TEMPORAL_NOTIFICATIONS_TASK_QUEUE: setting.optionalString(), // default: TEMPORAL_TASK_QUEUE + "-notifications"
  TENANT_ACTIVITIES_PER_SECOND: setting.int(DEFAULT_ACTIVITIES_PER_USER_PER_SECOND, { min: 0 }),
  TEMPORAL_UI_URL: setting.url('http://127.0.0.1:8233'),
  GATEWAY_PUBLIC_URL: setting.optionalUrl(), // default: http://GATEWAY_HOST:GATEWAY_PORT
  GATEWAY_BODY_LIMIT_BYTES: setting.int(5 * 1024 * 1024, { min: 1024 }),
  GATEWAY_REQUEST_TIMEOUT: setting.durationMs('30s'),
  TARGET_ALLOW: outboundRules('allow'),
  TARGET_DENY: outboundRules('deny'),
  ADMIN_USERNAME: setting.string('admin'),
  ADMIN_PASSWORD: setting.optionalString(),
  LOGIN_FAILURES_PER_USER: setting.int(20, { min: 1 }),
  LOGIN_FAILURES_PER_ADDRESS: setting.int(200, { min: 1 }),
  GITHUB_API_URL: setting.url('https://api.github.com'),
  GITHUB_APP_ID: setting.optionalString(),
  GITHUB_APP_PRIVATE_KEY: setting.optionalString(),
  GITHUB_APP_WEBHOOK_SECRET: setting.optionalString(),
  CI_POLL_INTERVAL: setting.durationMs('30s'),
  CI_QUEUED_GRACE: setting.durationMs('10m'),
  PREVIEWS_RECONCILE_INTERVAL: setting.durationMs('15m'),
  ENCRYPTION_KEY: setting.custom(encryptionKey),
  TRAVIS_PUBLIC_KEY: setting.optionalString(),
  TRAVIS_WAIT_TIMEOUT: setting.durationMs('1h'),
  BLOB_STORE: setting.oneOf(['dir', 'gridfs'] as const, 'dir'),
  BLOB_DIR: setting.string('.stack/blobs'),
  RELEASES_KEPT: setting.int(5, { min: 1 }),
  TAR_MAX_ENTRIES: setting.int(100_000, { min: 1 }),
  TAR_MAX_BYTES: setting.int(2 * 1024 * 1024 * 1024, { min: 1 }),
  DEFAULT_TARGET_URL: setting.optionalUrl(),
  DEFAULT_TARGET_STATUS_URL: setting.optionalUrl(),
  DEFAULT_TARGET_USERNAME: setting.optionalString(),
  DEFAULT_TARGET_PASSWORD: setting.optionalString(),
  PAYLOAD_RETENTION: setting.durationMs('30d'),
  STATUS_RETENTION: setting.durationMs('180d'),
  RETENTION_SWEEP_INTERVAL: setting.durationMs('1h'),
  NOTIFICATIONS_MAX_PER_APP: setting.int(20, { min: 1 }),
  NOTIFICATIONS_MAX_PER_USER: setting.int(100, { min: 1 }),
  NOTIFICATIONS_CONCURRENCY: setting.int(20, { min: 1 }),
  NOTIFICATIONS_REDELIVERIES_PER_MINUTE: setting.int(10, { min: 1 }),
  NOTIFICATIONS_DISABLE_AFTER_FAILURES: setting.int(20, { min: 1 }),
  NOTIFICATIONS_DISABLE_AFTER: setting.durationMs('6h'),
  WORKFLOW_SWEEP_INTERVAL: setting.durationMs('1m'),
  WORKFLOW_SWEEP_GRACE: setting.durationMs('3m'),
  FEED_HEARTBEAT: setting.durationMs('15s'),
  FEED_SETTLE: setting.durationMs('500ms'),
  FEED_CLIENT_BUFFER_BYTES: setting.int(1024 * 1024, { min: 1024 }),
  FEED_MAX_DURATION: setting.durationMs('1h'),
  FEED_MAX_PER_USER: setting.int(50, { min: 1 }),
  APPS_MAX_PER_USER: setting.int(100, { min: 1 }),
  TOKENS_MAX_PER_USER: setting.int(50, { min: 1 }),
  DEPLOYS_PER_APP_PER_MINUTE: setting.int(6, { min: 1 }),
  LOG_LEVEL: setting.oneOf(['error', 'warn', 'log', 'debug'] as const, 'log'),
  LOG_FORMAT: setting.oneOf(['json', 'pretty'] as const, 'json'),
  METRICS_HOST: setting.string('127.0.0.1'),
  WORKER_METRICS_PORT: setting.optionalPort(),
  TEMPORAL_METRICS_PORT: setting.optionalPort(),
  /** A prebuilt workflow bundle for the worker (the Docker image's); unset: bundled at start. */
  WORKFLOW_BUNDLE: setting.optionalString(),
};

type ParsedServiceSettings = ReturnType<typeof parseSettings<typeof SERVICE_SETTINGS>>;

export function loadServiceSettings(env: Env = process.env): ServiceSettings {
  const s = parseSettings(SERVICE_SETTINGS, env);
  return {
    mongo: { url: s.MONGO_URL, database: s.MONGO_DATABASE },
    temporal: {
      ...temporalConnection(s),
      namespace: s.TEMPORAL_NAMESPACE,
      taskQueue: s.TEMPORAL_TASK_QUEUE,
      notificationsTaskQueue: s.TEMPORAL_NOTIFICATIONS_TASK_QUEUE ?? `${s.TEMPORAL_TASK_QUEUE}-notifications`,
      uiUrl: s.TEMPORAL_UI_URL,
      activitiesPerUserPerSecond: s.TENANT_ACTIVITIES_PER_SECOND,
    },
    gateway: {
      host: s.GATEWAY_HOST,
      port: s.GATEWAY_PORT,
      publicUrl: s.GATEWAY_PUBLIC_URL ?? `http://${s.GATEWAY_HOST}:${s.GATEWAY_PORT}`,
      bodyLimitBytes: s.GATEWAY_BODY_LIMIT_BYTES,
      requestTimeoutMs: s.GATEWAY_REQUEST_TIMEOUT,
    },
    targets: { allow: s.TARGET_ALLOW, deny: s.TARGET_DENY },
    admin: { username: s.ADMIN_USERNAME, password: s.ADMIN_PASSWORD },
    loginLimits: { perUser: s.LOGIN_FAILURES_PER_USER, perAddress: s.LOGIN_FAILURES_PER_ADDRESS },
    github: { apiUrl: s.GITHUB_API_URL, app: githubApp(s) },
    ci: { pollIntervalMs: s.CI_POLL_INTERVAL, queuedGraceMs: s.CI_QUEUED_GRACE },
    previews: { reconcileIntervalMs: s.PREVIEWS_RECONCILE_INTERVAL },
    encryptionKey: s.ENCRYPTION_KEY,
    travis: { publicKey: s.TRAVIS_PUBLIC_KEY, waitTimeoutMs: s.TRAVIS_WAIT_TIMEOUT },
    blobs: { store: s.BLOB_STORE, dir: s.BLOB_DIR },
    releases: { kept: s.RELEASES_KEPT },
    tar: { maxEntries: s.TAR_MAX_ENTRIES, maxBytes: s.TAR_MAX_BYTES },
    defaultTarget:
      s.DEFAULT_TARGET_URL === undefined
        ? undefined
        : {
            url: s.DEFAULT_TARGET_URL,
            statusUrl: s.DEFAULT_TARGET_STATUS_URL,
            username: s.DEFAULT_TARGET_USERNAME,
            password: s.DEFAULT_TARGET_PASSWORD,
          },
    retention: { payloadsMs: s.PAYLOAD_RETENTION, statusMs: s.STATUS_RETENTION, sweepEveryMs: s.RETENTION_SWEEP_INTERVAL },
    notifications: {
      maxPerApp: s.NOTIFICATIONS_MAX_PER_APP,
      maxPerUser: s.NOTIFICATIONS_MAX_PER_USER,
      concurrency: s.NOTIFICATIONS_CONCURRENCY,
      redeliveriesPerMinute: s.NOTIFICATIONS_REDELIVERIES_PER_MINUTE,
      disableAfterFailures: s.NOTIFICATIONS_DISABLE_AFTER_FAILURES,
      disableAfterMs: s.NOTIFICATIONS_DISABLE_AFTER,
    },
    storeOutageToleranceMs: s.STORE_OUTAGE_TOLERANCE,
    workflowSweep: { everyMs: s.WORKFLOW_SWEEP_INTERVAL, graceMs: s.WORKFLOW_SWEEP_GRACE },
    feed: {
      heartbeatMs: s.FEED_HEARTBEAT,
      settleMs: s.FEED_SETTLE,
      clientBufferBytes: s.FEED_CLIENT_BUFFER_BYTES,
      maxDurationMs: s.FEED_MAX_DURATION,
      maxPerUser: s.FEED_MAX_PER_USER,
    },
    quotas: {
      appsPerUser: s.APPS_MAX_PER_USER,
      tokensPerUser: s.TOKENS_MAX_PER_USER,
      deploysPerAppPerMinute: s.DEPLOYS_PER_APP_PER_MINUTE,
    },
    logLevel: s.LOG_LEVEL,
    logFormat: s.LOG_FORMAT,
    metrics: { host: s.METRICS_HOST, workerPort: s.WORKER_METRICS_PORT, temporalPort: s.TEMPORAL_METRICS_PORT },
    workflowBundlePath: s.WORKFLOW_BUNDLE,
  };
}

/** TLS on when asked or when anything needs it; a client certificate with its key; nothing that needs TLS when it is turned off. */
function temporalConnection(s: ParsedServiceSettings): TemporalConnectionSettings {
  const { TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key, TEMPORAL_TLS_SERVER_NAME: serverName } = s;
  const needsTls = (
    ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY'] as const
  ).filter((name) => s[name] !== undefined);
  if (s.TEMPORAL_TLS === false && needsTls.length > 0)
    throw new ConfigError(
      needsTls[0],
      needsTls[0] === 'TEMPORAL_API_KEY'
        ? 'is only sent over TLS, but TEMPORAL_TLS is false (unset TEMPORAL_TLS, or the API key)'
        : 'needs TLS, but TEMPORAL_TLS is false',
    );
  if (cert && !key)
    throw new ConfigError('TEMPORAL_TLS_KEY', 'is required with TEMPORAL_TLS_CERT (a client certificate needs its private key)');
  if (key && !cert)
    throw new ConfigError('TEMPORAL_TLS_CERT', 'is required with TEMPORAL_TLS_KEY (a private key needs its client certificate)');
  if (cert && key && !new X509Certificate(cert.text).checkPrivateKey(createPrivateKey(key.text)))
    throw new ConfigError('TEMPORAL_TLS_KEY', "is not the private key of TEMPORAL_TLS_CERT's certificate");
  const tls = s.TEMPORAL_TLS ?? needsTls.length > 0;
  return {
    address: s.TEMPORAL_ADDRESS,
    tls: tls ? { ca, cert, key, serverName, reloadIntervalMs: s.TEMPORAL_TLS_RELOAD_INTERVAL } : undefined,
    apiKey: s.TEMPORAL_API_KEY,
  };
}

/** TARGET_ALLOW / TARGET_DENY: a rule list the outbound guard accepts. */
function outboundRules(list: 'allow' | 'deny') {
  return setting.custom((raw, fail) => {
    const rules = parseRuleList(raw);
    try {
      for (const rule of rules) parseOutboundRule(rule, list);
    } catch (error) {
      return fail((error as Error).message);
    }
    return rules;
  });
}

/** The GitHub App: all three settings or none; the key must be a private key GitHub would have issued (PEM). */
function githubApp(s: ParsedServiceSettings): ServiceSettings['github']['app'] {
  const names = ['GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY', 'GITHUB_APP_WEBHOOK_SECRET'] as const;
  const given = names.filter((name) => s[name] !== undefined);
  if (given.length === 0) return undefined;
  const missing = names.find((name) => !given.includes(name));
  if (missing)
    throw new ConfigError(missing, `is required with ${given.join(' and ')} (a GitHub App needs its id, private key and webhook secret)`);
  // A key pasted into one line of an env file carries its line breaks as `\n`.
  const privateKey = s.GITHUB_APP_PRIVATE_KEY!.replace(/\\n/g, '\n');
  try {
    createPrivateKey(privateKey);
  } catch {
    throw new ConfigError('GITHUB_APP_PRIVATE_KEY', "expected the App's private key as PEM (-----BEGIN RSA PRIVATE KEY----- …)");
  }
  const id = parseSettings({ GITHUB_APP_ID: setting.int(0, { min: 1 }) }, { GITHUB_APP_ID: s.GITHUB_APP_ID }).GITHUB_APP_ID;
  return { id, privateKey, webhookSecret: s.GITHUB_APP_WEBHOOK_SECRET! };
}

function encryptionKey(raw: string | undefined, fail: (problem: string) => never): Buffer {
  if (raw === undefined) return fail('is required');
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  return key.length === 32 ? key : fail('expected 32 bytes as 64 hex digits or base64');
}
