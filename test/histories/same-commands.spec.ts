import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { InjectedSinks, Runtime, Worker } from '@temporalio/worker';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { temporalAppLogger } from '../support/app-logs';
import type { CommandSinks } from './capture-commands';

/**
 * For a change meant to reshape workflow code without changing what it does:
 *   SAME_COMMANDS_AS=<git ref> npm test -- test/histories/same-commands
 * replays every recorded history twice, with the workflows of <ref> and with the working tree's,
 * and expects the same commands from both, to the byte: activities and local activities with their
 * arguments and options, timers, search attributes, patch markers, signals, the end. The replay
 * check of npm test (replay.spec.ts) compares what Temporal compares, the kinds of commands and
 * the activity types, not their arguments. Skipped without SAME_COMMANDS_AS.
 */
const ref = process.env.SAME_COMMANDS_AS;
const repo = join(__dirname, '../..');
const histories = readdirSync(__dirname, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((release) => readdirSync(join(__dirname, release.name)).filter((f) => f.endsWith('.json')).map((f) => `${release.name}/${f}`));

async function commandsOf(workflowsPath: string): Promise<Map<string, string[]>> {
  const streams = new Map(histories.map((name) => [name, [] as string[]]));
  const sinks: InjectedSinks<CommandSinks> = {
    commands: { command: { fn: (info, json) => void streams.get(info.workflowId)!.push(json), callDuringReplay: true } },
  };
  const results = Worker.runReplayHistories(
    { workflowsPath, replayName: 'same-commands', interceptors: { workflowModules: [require.resolve('./capture-commands')] }, sinks },
    histories.map((name) => ({ workflowId: name, history: historyFromJSON(JSON.parse(readFileSync(join(__dirname, name), 'utf8'))) })),
  );
  for await (const result of results) if (result.error) throw new Error(`${result.workflowId}: ${result.error.message}`);
  return streams;
}

(ref ? describe : describe.skip)(`the workflows give the same commands as at ${ref}`, () => {
  // Under .stack/ (ignored by git) so the bundler finds the repository's node_modules.
  const old = join(repo, '.stack', 'same-commands', String(ref).replace(/[^\w.-]/g, '_'));
  beforeAll(() => {
    Runtime.install({ logger: temporalAppLogger() });
    rmSync(old, { recursive: true, force: true });
    mkdirSync(old, { recursive: true });
    const archive = execFileSync('git', ['-C', repo, 'archive', '--format=tar', ref!, 'workflows', 'libs/errors']);
    execFileSync('tar', ['-x', '-C', old], { input: archive });
  });
  afterAll(() => rmSync(old, { recursive: true, force: true }));

  it('replays every recorded history to the same commands, arguments included', async () => {
    const before = await commandsOf(join(old, 'workflows'));
    const after = await commandsOf(join(repo, 'workflows'));
    const differences = histories.flatMap((name) => {
      const [a, b] = [before.get(name)!, after.get(name)!];
      const at = a.findIndex((command, i) => command !== b[i]);
      if (at === -1 && a.length === b.length) return [];
      const i = at === -1 ? a.length : at;
      const [was, now] = [a[i] ?? '', b[i] ?? ''];
      let c = 0;
      while (c < was.length && was[c] === now[c]) c++;
      const around = (command: string) => command.slice(Math.max(0, c - 200), c + 200);
      return [`${name}, command ${i + 1} of ${a.length} (now ${b.length}), from character ${c}:\n  was …${around(was)}\n  now …${around(now)}`];
    });
    expect(differences).toEqual([]);
    expect([...before.values()].flat().length).toBeGreaterThan(histories.length);
  }, 300_000);
});
