import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { DefaultLogger, LogEntry } from '@temporalio/worker';
import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { inspect } from 'node:util';
import pino, { DestinationStream } from 'pino';

/**
 * Quiet tests: the application logs of a test file (its in-process gateway, worker, receiver and
 * Temporal SDK) go to one file per test file under the run's log directory, never to the console,
 * so the console shows Jest's results and failures only. test/support/app-logs-reporter.js names
 * the file under each failing test file.
 */
const ROOT = join(__dirname, '..', '..');

/** The run's log directory (global-setup.ts), or a temporary one when run without it. */
export function testLogDir(): string {
  return process.env.TEST_LOG_DIR ?? join(tmpdir(), 'deploy-webhooks-test-logs');
}

/** The running test file, from Jest's expect state (outside Jest: none). */
function currentTestPath(): string {
  const jestExpect = (globalThis as { expect?: { getState(): { testPath?: string } } }).expect;
  return jestExpect?.getState().testPath ?? join(ROOT, 'outside-jest');
}

/** `<run's log dir>/apps/<test file path>.log`: this test file's application log (the reporter computes the same). */
export function appLogFile(testPath = currentTestPath()): string {
  return join(testLogDir(), 'apps', `${relative(ROOT, testPath)}.log`);
}

let destination: DestinationStream | undefined;

/** The pino destination for createGatewayApp / createWorkerApp in tests: this file's application log. */
export function appLogDestination(): DestinationStream {
  destination ??= pino.destination({ dest: appLogFile(), mkdir: true, sync: true });
  return destination;
}

function append(line: string): void {
  const file = appLogFile();
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, line.endsWith('\n') ? line : `${line}\n`);
}

/** Nest's console logger writing to this file's application log (for createReceiverApp). */
export class AppLogFileLogger extends ConsoleLogger {
  constructor(levels: LogLevel[] = ['fatal', 'error', 'warn', 'log']) {
    super({ logLevels: levels, colors: false });
  }

  protected override printMessages(messages: unknown[], context = '', logLevel: LogLevel = 'log'): void {
    for (const message of messages) {
      append(
        `${new Date().toISOString()} ${logLevel.toUpperCase()} [${context}] ${typeof message === 'string' ? message : inspect(message)}`,
      );
    }
  }

  protected override printStackTrace(stack: string): void {
    if (stack) append(stack);
  }
}

/** A Temporal SDK logger writing to this file's application log (for a Runtime a test installs itself). */
export function temporalAppLogger(level: 'DEBUG' | 'INFO' | 'WARN' = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, ({ level: entryLevel, message, meta }: LogEntry) =>
    append(`${new Date().toISOString()} ${entryLevel} [Temporal] ${message}${meta ? ` ${inspect(meta, { breakLength: Infinity })}` : ''}`),
  );
}
