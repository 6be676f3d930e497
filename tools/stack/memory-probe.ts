import { renameSync, writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, which the SDK reads; an import gives a copy
import threads = require('node:worker_threads');

/**
 * Leak probe for the soak suite (`npm run test:soak`), preloaded into a gateway or worker with
 * `node -r` (memoryProbeEnv in apps.ts), so the product carries no trace of it: with `--expose-gc` and
 * MEMORY_PROBE_FILE set, SIGWINCH forces a full GC and writes the process's memory to that file
 * (`{rss, heapUsed, external, arrayBuffers, threadHeaps, heapsCommitted, at}`, replaced atomically). Otherwise it installs nothing. SIGUSR2
 * is not used: it is one of Temporal's shutdown signals.
 *
 * `threadHeaps` is the used heap of each worker thread (the Temporal SDK runs workflows in its own
 * threads): `heapUsed` counts the main isolate only, and a signal cannot force a GC there, so each
 * thread collects on a timer instead. `heapsCommitted` is the memory all those V8 heaps hold, used
 * or not (a young generation grown under load stays committed after a GC).
 */
export interface MemoryReading {
  rss: number;
  heapUsed: number;
  /** Memory of C++ objects bound to JS (Buffers among them), and of ArrayBuffers alone. */
  external: number;
  arrayBuffers: number;
  /** Used heap of each worker thread (the SDK's workflow threads); -1 where Node reports none. */
  threadHeaps: number[];
  /** What all the process's V8 heaps hold, used or not. */
  heapsCommitted: number;
  at: number;
}

export function installMemoryProbe(): void {
  const file = process.env.MEMORY_PROBE_FILE;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!file || typeof gc !== 'function') return;
  // NODE_OPTIONS reaches the worker's workflow threads too; signals reach the main thread only.
  if (!threads.isMainThread) {
    setInterval(gc, 10_000).unref();
    return;
  }
  const started: Array<{ getHeapStatistics?: () => Promise<{ used_heap_size: number; total_physical_size: number }>; threadId: number }> =
    [];
  const Original = threads.Worker;
  // The SDK reads `Worker` off the module (the real one: require, not an import copy) when it starts a thread.
  Object.defineProperty(threads, 'Worker', {
    configurable: true,
    value: class extends Original {
      constructor(...args: ConstructorParameters<typeof Original>) {
        super(...args);
        started.push(this);
        this.once('exit', () => started.splice(started.indexOf(this), 1));
      }
    },
  });
  process.on('SIGWINCH', () => {
    gc();
    gc(); // a second pass collects what the first one's finalizers released
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    void Promise.all(started.map((thread) => thread.getHeapStatistics?.() ?? Promise.resolve(undefined)))
      .catch(() => [])
      .then((perThread) => {
        const reading: MemoryReading = {
          rss,
          heapUsed,
          external,
          arrayBuffers,
          threadHeaps: perThread.map((stats) => stats?.used_heap_size ?? -1),
          heapsCommitted: perThread.reduce(
            (sum, stats) => sum + (stats?.total_physical_size ?? 0),
            getHeapStatistics().total_physical_size,
          ),
          at: Date.now(),
        };
        writeFileSync(`${file}.tmp`, JSON.stringify(reading));
        renameSync(`${file}.tmp`, file);
      });
  });
}

installMemoryProbe();
