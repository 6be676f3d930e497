import { Logger } from '@nestjs/common';
import { Connection, ConnectionOptions, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { Pem, TemporalConnectionSettings } from '../config';

/** What both the client's `Connection` and the worker's `NativeConnection` take to reach Temporal. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

/** PEM files are read again each time, so a connection made after a renewal presents the new certificate. */
const read = (pem: Pem | undefined) => (pem === undefined ? undefined : Buffer.from(pem.path ? readFileSync(pem.path, 'utf8') : pem.text));

/**
 * The one way the gateway and the worker turn their settings into connection options
 * (docs/operations.md#connecting-to-a-secured-temporal-mtls-temporal-cloud). An API key goes with TLS: the settings
 * never hold one without it.
 */
export function temporalConnectionOptions(settings: TemporalConnectionSettings): TemporalConnectionOptions {
  const { tls } = settings;
  if (!tls) return { address: settings.address };
  const crt = read(tls.cert);
  const key = read(tls.key);
  return {
    address: settings.address,
    tls: {
      serverNameOverride: tls.serverName,
      serverRootCACertificate: read(tls.ca),
      clientCertPair: crt && key ? { crt, key } : undefined,
    },
    apiKey: settings.apiKey,
  };
}

/**
 * Calls `renewed` with fresh connection options when a certificate, key or CA file changes on
 * disk (polled: watches on mounted secrets miss the symlink swaps that renew them). Options that
 * cannot be read (a file half-written, a new certificate beside the old key) are skipped until
 * the next change. Answers how to stop.
 */
export function watchTemporalCertificates(
  settings: TemporalConnectionSettings,
  renewed: (options: TemporalConnectionOptions) => void,
): () => void {
  const intervalMs = settings.tls?.reloadIntervalMs ?? 30_000;
  const paths = [settings.tls?.ca, settings.tls?.cert, settings.tls?.key].flatMap((pem) => (pem?.path ? [pem.path] : []));
  const logger = new Logger('Temporal');
  let settle: NodeJS.Timeout | undefined;
  const reconnect = () => {
    let options: TemporalConnectionOptions;
    try {
      options = temporalConnectionOptions(settings);
      const pair = options.tls?.clientCertPair;
      if (pair && !new X509Certificate(pair.crt).checkPrivateKey(createPrivateKey(pair.key)))
        throw new Error('the client certificate and key do not match yet');
    } catch (error) {
      logger.warn(`a Temporal TLS file changed but cannot be read (${(error as Error).message}); the current connection stays`);
      return;
    }
    logger.log('a Temporal TLS file changed: connecting again with it');
    renewed(options);
  };
  // A renewal rewrites the certificate and its key one after the other: connect once, after both.
  const changed = () => {
    clearTimeout(settle);
    settle = setTimeout(reconnect, Math.min(intervalMs, 1_000)).unref();
  };
  for (const path of new Set(paths)) watchFile(path, { interval: intervalMs }, changed);
  return () => {
    clearTimeout(settle);
    for (const path of new Set(paths)) unwatchFile(path, changed);
  };
}

/**
 * A client connection to Temporal that closes without a stray retry. The client retries a failed
 * call after a back-off on a timer; a retry that fires after the connection closed runs on a
 * shut-down channel and throws out of its timer ("Channel has been shut down"), taking the process
 * down. So calls failing while it closes are not retried, and closing waits for the retries
 * already scheduled (at most CLOSE_WAIT_MS) before it closes the channel.
 */
export class ClosableConnection {
  readonly connection: Connection;
  private closing = false;
  private retriesDueAt = 0;

  constructor(options: TemporalConnectionOptions & Pick<ConnectionOptions, 'connectTimeout'>) {
    const retry = defaultGrpcRetryOptions();
    const interceptor = makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => !this.closing && retry.retryableDecider(attempt, status),
      delayFunction: (attempt, status) => {
        const delay = retry.delayFunction(attempt, status);
        this.retriesDueAt = Math.max(this.retriesDueAt, Date.now() + delay);
        return delay;
      },
    });
    this.connection = Connection.lazy({ ...options, interceptors: [interceptor] });
  }

  async close(): Promise<void> {
    this.closing = true;
    const wait = Math.min(this.retriesDueAt - Date.now() + 50, CLOSE_WAIT_MS);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await this.connection.close().catch(() => undefined);
  }
}

const CLOSE_WAIT_MS = 5_000;
