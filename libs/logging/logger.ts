import { asyncLocalStorage as activityContext } from '@temporalio/activity';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';
import type { Options as HttpLoggerOptions } from 'pino-http';

export type LogLevelSetting = 'error' | 'warn' | 'log' | 'debug';
export type LogFormat = 'json' | 'pretty';

export const REDACTED = '[redacted]';

/**
 * Where secrets can sit in a log line: credentials and signatures in request headers, and
 * passwords, tokens and secrets in any object logged (a body, a target, a user record).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-hub-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers.signature',
  'res.headers["set-cookie"]',
  'taskToken', // Temporal's activity task token (in the SDK's log metadata) completes the activity
  ...['password', 'token', 'apiToken', 'secret', 'webhookSecret', 'credentials', 'authorization', 'encryptionKey'].flatMap((key) => [
    key,
    `*.${key}`,
    `*.*.${key}`,
  ]),
];

const PINO_LEVELS: Record<LogLevelSetting, pino.Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug' };

/** The deployment a workflow works for, if any: the process that knows how ids derive says (the worker does). */
export type DeploymentOf = (workflowId: string) => string | undefined;

/**
 * The process's structured logger: one JSON object a line (or pino-pretty in development),
 * secrets redacted, and inside a Temporal activity the workflow and deployment it works for.
 */
export function createLogger(
  settings: { logLevel: LogLevelSetting; logFormat: LogFormat },
  destination?: DestinationStream,
  deploymentOf?: DeploymentOf,
): Logger {
  const options: LoggerOptions = {
    level: PINO_LEVELS[settings.logLevel],
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    mixin: () => activityBindings(deploymentOf),
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(options, destination ?? (settings.logFormat === 'pretty' ? prettyStream() : pino.destination(1)));
}

/** workflowId, deploymentId and activity of the Temporal activity this line is logged from. */
export function activityBindings(deploymentOf?: DeploymentOf): Record<string, string> {
  const info = activityContext.getStore()?.info;
  if (!info) return {};
  const workflowId = info.workflowExecution?.workflowId;
  if (!workflowId) return { activity: info.activityType };
  const deploymentId = deploymentOf?.(workflowId);
  return deploymentId === undefined
    ? { workflowId, activity: info.activityType }
    : { workflowId, deploymentId, activity: info.activityType };
}

function prettyStream(): DestinationStream {
  let build: (options: object) => DestinationStream;
  try {
    // A development dependency: production images log JSON.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for, so production needs no pino-pretty
    build = require('pino-pretty') as (options: object) => DestinationStream;
  } catch {
    throw new Error('LOG_FORMAT=pretty needs the pino-pretty package (a development dependency); use LOG_FORMAT=json.');
  }
  return build({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true });
}

/**
 * pino-http for the gateway: one line per request carrying `uuid` (the request's x-api-uuid),
 * method, route, status and time; log lines written while handling the request carry the
 * `uuid` too. Metrics scrapes and the health probe log at debug only.
 */
export function httpLoggerOptions(logger: Logger): HttpLoggerOptions {
  return {
    logger,
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'uuid', responseTime: 'ms' },
    // The gateway's request id is its x-api-uuid (see alignRequestUuid); never generated here.
    genReqId: (request) => request.id ?? 'unknown',
    // Client errors are the client's business (and fuzzers make thousands): info, not warn.
    customLogLevel: (request: IncomingMessage, response: ServerResponse, error?: Error) => {
      if (error || response.statusCode >= 500) return 'error';
      return /^\/(metrics|health|docs)\b/.test(request.url ?? '') ? 'debug' : 'info';
    },
    serializers: {
      req: (request: { method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
        method: request.method,
        url: request.url,
        headers: request.headers,
        remoteAddress: request.remoteAddress,
      }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
  };
}
