import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolsDir } from '../../tools/stack';
import { SEARCH_ATTRIBUTES } from '../../workflows/types';

export const TEMPORAL_TEST_SERVER_VERSION = process.env.TEMPORAL_TEST_SERVER_VERSION ?? '1.38.0';

/**
 * The time-skipping test server's launcher, provisioned by scripts/provision-tools.sh from Maven
 * Central (the SDK's own download comes from outside the package registries).
 */
export function testServerExecutable(): string {
  const path = join(toolsDir(), `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`, 'bin', 'temporal-test-server');
  if (!existsSync(path))
    execFileSync('bash', [join(repoRoot, 'scripts', 'provision-tools.sh'), 'test-server'], { stdio: ['ignore', 'inherit', 'inherit'] });
  return path;
}

/**
 * A time-skipping Temporal environment for workflow unit tests: its own Java test server on a
 * free port, started per test file (only the files that use it pay for it), with the
 * deployments' search attributes registered. Awaiting a workflow's result skips its timers.
 */
export async function startTimeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  try {
    // Only errors: the activity failures these tests provoke on purpose would each print a warning.
    // Core's own logs too (it warns that the test server lacks a newer server's heartbeat capability).
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Installed already in this Jest worker process.
  }
  const path = testServerExecutable();
  // The SDK gives the server 5 s to answer; a start on a busy machine may miss it once.
  for (let attempt = 1; ; attempt++) {
    try {
      const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
      // A fresh server: the deployment workflow upserts these, as the worker registers them in production.
      const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
      await env.connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTES).map((name) => [name, keyword])),
      });
      return env;
    } catch (error) {
      if (attempt >= 3 || !/did not start|timeout|timed out/i.test(String(error))) throw error;
    }
  }
}

/** Every durable timer a workflow started, in order, as milliseconds (workflow `sleep`s and `condition` timeouts). */
export function timersOf(history: temporal.api.history.v1.IHistory): number[] {
  return (history.events ?? [])
    .map((event) => event.timerStartedEventAttributes?.startToFireTimeout)
    .filter((timeout): timeout is NonNullable<typeof timeout> => timeout != null)
    .map((timeout) => tsToMs(timeout));
}

/**
 * The workflow time a run took, first event to last. (The environment's clock is no measure of
 * it: once a run ends, the server may skip ahead to whatever else it has scheduled.)
 */
export function workflowTimeOf(history: temporal.api.history.v1.IHistory): number {
  const events = history.events ?? [];
  return tsToMs(events[events.length - 1]?.eventTime) - tsToMs(events[0]?.eventTime);
}

/** How many started timers were canceled before firing (a `condition` that came true first). */
export function canceledTimersOf(history: temporal.api.history.v1.IHistory): number {
  return (history.events ?? []).filter((event) => event.timerCanceledEventAttributes != null).length;
}
