import { join } from 'node:path';
import { freePort, ManagedProcess, startProcess, waitForPort } from './processes';
import { mongoWireClasspath, repoRoot, temporalBinary } from './tools';

export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  namespace: string;
  process: ManagedProcess;
}

/**
 * The official Temporal CLI dev server with its Web UI. With `dbFile` its state survives a
 * restart (the fault-injection suite stops and restarts it); without, it lives in memory.
 */
export async function startTemporalDevServer(options: {
  logDir: string;
  dbFile?: string;
  host?: string;
  port?: number;
  uiPort?: number;
  /** Fairness between users' tasks (on unless false; the bench turns it off to compare). */
  fairness?: boolean;
}): Promise<TemporalDevServer> {
  const host = options.host ?? '127.0.0.1';
  // Ports it picked itself can be taken between the pick and the server's bind (the dev server
  // takes more ports of its own as it starts): then it exits, and it is started again on others.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort(host));
    let uiPort = options.uiPort ?? (await freePort(host));
    while (uiPort === port) uiPort = await freePort(host);
    const args = [
      'server',
      'start-dev',
      '--ip',
      host,
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--log-level',
      'warn',
      '--namespace',
      'default',
      // Tasks backlogged on a queue are dispatched in turn by fairness key (the user): one user's
      // burst does not hold another's deployment (docs/reliability.md#tenant-isolation-review).
      '--dynamic-config-value',
      `matching.enableFairness=${options.fairness ?? true}`,
    ];
    if (options.dbFile) args.push('--db-filename', options.dbFile);
    const process = startProcess('temporal', temporalBinary(), args, { logFile: join(options.logDir, 'temporal.log') });
    try {
      await waitForPort(process, host, port);
      await waitForPort(process, host, uiPort);
      return { address: `${host}:${port}`, uiUrl: `http://${host}:${uiPort}`, namespace: 'default', process };
    } catch (error) {
      const exitedEarly = process.child.exitCode !== null || process.child.signalCode !== null;
      await process.stop();
      const chosen = options.port !== undefined || options.uiPort !== undefined;
      if (chosen || attempt === 3 || !exitedEarly) throw error;
    }
  }
}

export interface MongoWireServer {
  url: string;
  process: ManagedProcess;
}

/**
 * mongo-java-server with its oplog enabled (change streams), launched by
 * scripts/MongoWireServer.java. With `h2File` the data survives a restart.
 */
export async function startMongoWireServer(options: {
  logDir: string;
  h2File?: string;
  host?: string;
  port?: number;
}): Promise<MongoWireServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const args = ['-Xss4m', '-cp', mongoWireClasspath(), join(repoRoot, 'scripts', 'MongoWireServer.java'), host, String(port)];
  if (options.h2File) args.push(options.h2File);
  const process = startProcess('mongo-wire', 'java', args, { logFile: join(options.logDir, 'mongo-wire.log') });
  await waitForPort(process, host, port);
  return { url: `mongodb://${host}:${port}/?directConnection=true`, process };
}
