import { ConfigError, Env, Settings } from './settings';

/** Settings of the gateway and the worker; the same variables in `npm start`, docker-compose and production. */
export interface AppConfig {
  mongo: { url: string; database: string };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  gateway: { host: string; port: number; publicUrl: string; bodyLimitBytes: number };
  admin: { username: string; password?: string };
  github: { apiUrl: string };
  /** 32-byte key for third-party tokens and target passwords at rest (AES-256-GCM). */
  encryptionKey: Buffer;
  travis: { publicKey?: string; waitTimeoutMs: number };
  blobs: { dir: string };
  tar: { maxEntries: number; maxBytes: number };
  logLevel: 'error' | 'warn' | 'log' | 'debug';
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
    },
    admin: { username: s.string('ADMIN_USERNAME', 'admin'), password: s.optionalString('ADMIN_PASSWORD') },
    github: { apiUrl: s.url('GITHUB_API_URL', 'https://api.github.com') },
    encryptionKey: encryptionKey(s),
    travis: {
      publicKey: s.optionalString('TRAVIS_PUBLIC_KEY'),
      waitTimeoutMs: s.durationMs('TRAVIS_WAIT_TIMEOUT', '1h'),
    },
    blobs: { dir: s.string('BLOB_DIR', '.stack/blobs') },
    tar: {
      maxEntries: s.int('TAR_MAX_ENTRIES', 100_000, { min: 1 }),
      maxBytes: s.int('TAR_MAX_BYTES', 2 * 1024 * 1024 * 1024, { min: 1 }),
    },
    logLevel: s.oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const, 'log'),
  };
}

function encryptionKey(s: Settings): Buffer {
  const raw = s.string('ENCRYPTION_KEY');
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('ENCRYPTION_KEY', 'expected 32 bytes as 64 hex digits or base64');
  return key;
}
