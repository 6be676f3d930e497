import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Runtime, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporalAppLogger } from '../support/app-logs';

/**
 * Upgrades never break running deployments (docs/contract.md#upgrades-never-break-running-deployments): a running deployment survives any upgrade. Every history recorded from a shipped
 * release (test/histories/<release>/*.json, written by record.e2e-spec.ts) replays against the
 * current workflow code; a change that is not behind patched() fails here with the history's name.
 */
const root = __dirname;
const histories = readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((release) => readdirSync(join(root, release.name)).filter((file) => file.endsWith('.json')).map((file) => `${release.name}/${file}`));

describe('recorded workflow histories replay against the current workflow code', () => {
  // The replayer's bundling and worker lines go to this file's application log, not the console.
  beforeAll(() => Runtime.install({ logger: temporalAppLogger() }));

  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThan(0);
  });

  it('replays every recorded history without a nondeterminism error', async () => {
    const results = Worker.runReplayHistories(
      { workflowsPath: require.resolve('../../workflows'), replayName: 'upgrade-check' },
      histories.map((name) => ({ workflowId: name, history: historyFromJSON(JSON.parse(readFileSync(join(root, name), 'utf8'))) })),
    );
    const failures: string[] = [];
    for await (const result of results) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
