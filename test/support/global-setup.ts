import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startMongoWireServer, startTemporalDevServer } from '../../tools/stack';

/**
 * Starts the real servers once per Jest run: the Temporal dev server and the MongoDB-wire
 * server (or uses TEMPORAL_ADDRESS / MONGO_URL when set). Test files isolate themselves with
 * their own database name and task queue. Logs go to .stack/test-logs/<run>/: the servers' here,
 * each test file's application log under apps/ (app-logs.ts).
 */
export default async function globalSetup(): Promise<void> {
  const logDir = join(repoRoot, '.stack', 'test-logs', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(logDir, { recursive: true });
  process.env.TEST_LOG_DIR = logDir;
  const stops: Array<() => Promise<void>> = [];
  const [temporal, mongo] = await Promise.all([
    process.env.TEMPORAL_ADDRESS ? undefined : startTemporalDevServer({ logDir }),
    process.env.MONGO_URL ? undefined : startMongoWireServer({ logDir }),
  ]);
  if (temporal) stops.push(() => temporal.process.stop());
  if (mongo) stops.push(() => mongo.process.stop());
  process.env.TEST_TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS ?? temporal!.address;
  process.env.TEST_TEMPORAL_UI_URL = process.env.TEMPORAL_UI_URL ?? temporal?.uiUrl ?? 'http://127.0.0.1:8233';
  process.env.TEST_MONGO_URL = process.env.MONGO_URL ?? mongo!.url;
  (globalThis as { __stackStops?: typeof stops }).__stackStops = stops;
  process.stderr.write(
    `\n[stack] temporal ${process.env.TEST_TEMPORAL_ADDRESS}, mongo ${process.env.TEST_MONGO_URL}; logs (servers; test files' application logs under apps/) in ${logDir}\n`,
  );
}
