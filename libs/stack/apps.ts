import { join } from 'node:path';
import { ManagedProcess, startProcess } from './processes';
import { repoRoot } from './tools';

export type AppName = 'gateway' | 'worker' | 'receiver';

/** Starts one of the three apps from the compiled output (`npm run build`) as a child process. */
export function startApp(name: AppName, env: NodeJS.ProcessEnv, logDir: string, instance = ''): ManagedProcess {
  const main = join(repoRoot, 'dist', 'apps', name, 'main.js');
  return startProcess(`${name}${instance}`, process.execPath, [main], { logFile: join(logDir, `${name}${instance}.log`), env });
}
