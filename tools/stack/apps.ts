import { join } from 'node:path';
import { ManagedProcess, startProcess } from './processes';
import { repoRoot } from './tools';

export type AppName = 'gateway' | 'worker' | 'receiver';

/** Starts one of the three apps from the compiled output (`npm run build`) as a child process. */
export function startApp(name: AppName, env: NodeJS.ProcessEnv, logDir: string, instance = ''): ManagedProcess {
  const main = join(repoRoot, 'dist', 'apps', name, 'main.js');
  return startProcess(`${name}${instance}`, process.execPath, [main], { logFile: join(logDir, `${name}${instance}.log`), env });
}

/**
 * The environment that makes an app started here measurable by the soak suite: GC exposed and
 * the memory probe (memory-probe.ts) preloaded, so the product itself carries no probe.
 */
export function memoryProbeEnv(file: string): NodeJS.ProcessEnv {
  const probe = join(repoRoot, 'dist', 'tools', 'stack', 'memory-probe.js');
  return { NODE_OPTIONS: `--expose-gc --require "${probe}"`, MEMORY_PROBE_FILE: file };
}
