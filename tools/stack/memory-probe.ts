import { renameSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/**
 * Leak probe for the soak suite (`npm run test:soak`), preloaded into a gateway or worker with
 * `node -r` (memoryProbeEnv in apps.ts), so the product carries no trace of it: with `--expose-gc` and
 * MEMORY_PROBE_FILE set, SIGWINCH forces a full GC and writes the process's memory to that file
 * (`{rss, heapUsed, at}`, replaced atomically). Otherwise it installs nothing. SIGUSR2 is not
 * used: it is one of Temporal's shutdown signals.
 */
export function installMemoryProbe(): void {
  const file = process.env.MEMORY_PROBE_FILE;
  const gc = (globalThis as { gc?: () => void }).gc;
  // NODE_OPTIONS reaches the worker's workflow threads too; signals reach the main thread only.
  if (!file || typeof gc !== 'function' || !isMainThread) return;
  process.on('SIGWINCH', () => {
    gc();
    gc(); // a second pass collects what the first one's finalizers released
    const { rss, heapUsed } = process.memoryUsage();
    writeFileSync(`${file}.tmp`, JSON.stringify({ rss, heapUsed, at: Date.now() }));
    renameSync(`${file}.tmp`, file);
  });
}

installMemoryProbe();
