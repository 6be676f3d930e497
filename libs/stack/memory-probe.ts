import { renameSync, writeFileSync } from 'node:fs';

/**
 * Dev-only leak probe for the soak suite (`npm run test:soak`): when the process runs with
 * `--expose-gc` and MEMORY_PROBE_FILE is set, SIGWINCH forces a full GC and writes the process's
 * memory to that file (`{rss, heapUsed, at}`, replaced atomically). Otherwise it installs nothing:
 * production never exposes gc, and SIGWINCH keeps its default (ignored). SIGUSR2 is not used: it
 * is one of Temporal's shutdown signals.
 */
export function installMemoryProbe(): void {
  const file = process.env.MEMORY_PROBE_FILE;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!file || typeof gc !== 'function') return;
  process.on('SIGWINCH', () => {
    gc();
    gc(); // a second pass collects what the first one's finalizers released
    const { rss, heapUsed } = process.memoryUsage();
    writeFileSync(`${file}.tmp`, JSON.stringify({ rss, heapUsed, at: Date.now() }));
    renameSync(`${file}.tmp`, file);
  });
}
