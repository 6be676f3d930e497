import { join } from 'node:path';
import { ManagedProcess, startProcess } from './processes';
import { repoRoot } from './tools';

export type AppName = 'gateway' | 'worker' | 'receiver';

/**
 * The Node flags every app runs with, here and in the image (the Dockerfile's NODE_OPTIONS,
 * checked by test/docker.spec.ts). Node 24's V8 lets each isolate's young generation grow to
 * 128 MiB and keeps it after a full GC; the worker has two isolates (its main thread and the
 * SDK's workflow thread), so its RSS rose by ~150 MiB under load with no leak. 16 MiB
 * semi-spaces are Node 20's size, on which the benchmarks were measured (docs/reliability.md#the-soak--npm-run-testsoak).
 */
export const NODE_FLAGS = ['--max-semi-space-size=16'];

/** Starts one of the three apps from the compiled output (`npm run build`) as a child process. */
export function startApp(name: AppName, env: NodeJS.ProcessEnv, logDir: string, instance = ''): ManagedProcess {
  const main = join(repoRoot, 'dist', 'apps', name, 'main.js');
  return startProcess(`${name}${instance}`, process.execPath, [...NODE_FLAGS, main], {
    logFile: join(logDir, `${name}${instance}.log`),
    env,
  });
}

/**
 * The environment that makes an app started here measurable by the soak suite: GC exposed and
 * the memory probe (memory-probe.ts) preloaded, so the product itself carries no probe.
 */
export function memoryProbeEnv(file: string): NodeJS.ProcessEnv {
  const probe = join(repoRoot, 'dist', 'tools', 'stack', 'memory-probe.js');
  return { NODE_OPTIONS: `--expose-gc --require "${probe}"`, MEMORY_PROBE_FILE: file };
}
