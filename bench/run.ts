import 'reflect-metadata';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../tools/stack';
import { writeCharts } from './charts';
import { feed } from './feed';
import { intake } from './intake';
import { neighbours } from './neighbours';
import { bake } from './bake';
import { BenchStack, printTable, Row } from './lib';
import { overhead } from './overhead';
import { topFunctions } from './profile';
import { rollback } from './rollback';
import { scale } from './scale';
import { status } from './status';
import { tarball } from './tarball';

/**
 * `npm run bench [names…]`: every benchmark (or the named ones) against one real local stack
 * (Temporal dev server, MongoDB-wire server; gateways, workers and receivers as child processes),
 * one table of figures against same-run baselines, raw numbers in bench/results/<timestamp>.json.
 */
const BENCHMARKS: Record<string, (stack: BenchStack) => Promise<{ rows: Row[]; raw: unknown }>> = {
  intake,
  feed, // before anything writes much: mongo-java-server's change streams slow down as its oplog grows
  tarball,
  overhead,
  scale,
  rollback, // rollback from a kept tarball, and by ACTIVATE, against a push of the same size
  neighbours, // one user's deployments while another's subscriptions hang or his pushes crowd the worker
  status, // last: its bulk load fills the oplog
  bake, // 200 health-checked bakes at once: durable timers, no activity slot held
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  const selected = names.length ? names : Object.keys(BENCHMARKS);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const workDir = join(process.env.BENCH_WORK_DIR ?? tmpdir(), `deploy-webhooks-bench-${stamp}`);
  const stack = new BenchStack(workDir);
  const rows: Array<Row & { bench: string }> = [];
  const raw: Record<string, unknown> = {};
  const started = Date.now();
  let failed = false;
  try {
    console.error(`[bench] starting the stack (logs in ${stack.logDir})`);
    await stack.start();
    for (const name of selected) {
      const t0 = Date.now();
      console.error(`[bench] ${name}…`);
      try {
        const result = await BENCHMARKS[name](stack);
        rows.push(...result.rows.map((row) => ({ bench: name, ...row })));
        raw[name] = { seconds: (Date.now() - t0) / 1000, ...(result.raw as object) };
      } catch (error) {
        failed = true;
        console.error(`[bench] ${name} failed: ${(error as Error).stack}`);
        rows.push({
          bench: name,
          figure: 'benchmark failed',
          value: (error as Error).message.slice(0, 120),
          baseline: '—',
          ratio: null,
          target: '—',
          pass: false,
        });
        raw[name] = { error: (error as Error).message };
      } finally {
        await stack.stopChildren();
      }
      console.error(`[bench] ${name} took ${Math.round((Date.now() - t0) / 1000)} s`);
    }
  } finally {
    await stack.stop();
  }
  const table = printTable(rows);
  console.log(`\n${table}\n`);
  const profiles = readdirSync(workDir).filter((f) => f.endsWith('.cpuprofile'));
  for (const file of profiles) {
    raw[file] = topFunctions(join(workDir, file), 25);
    console.log(`CPU profile ${file} (main thread), top self time:\n${(raw[file] as string[]).slice(0, 15).join('\n')}\n`);
  }
  const resultsDir = join(repoRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const out = join(resultsDir, `${stamp}.json`);
  writeFileSync(
    out,
    JSON.stringify(
      {
        startedAt: new Date(started).toISOString(),
        seconds: (Date.now() - started) / 1000,
        node: process.version,
        cpus: cpus().length,
        table: rows,
        raw,
      },
      null,
      2,
    ),
  );
  const written = writeCharts(raw);
  if (written.length) console.log(`charts: ${written.join(', ')}`);
  console.log(`raw numbers: ${out}; took ${Math.round((Date.now() - started) / 1000)} s`);
  if (!process.env.BENCH_KEEP) rmSync(workDir, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
