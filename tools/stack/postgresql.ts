import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ManagedProcess, startProcess, waitForPort } from './processes';
import { provisionTools, toolsDir } from './tools';

export const POSTGRESQL_MAJOR = process.env.POSTGRESQL_MAJOR ?? '15';

export interface PostgresServer {
  host: string;
  port: number;
  /** The superuser initdb made, with trust authentication on loopback (a test database only). */
  user: string;
  process: ManagedProcess;
}

/** PostgreSQL's server programs from the tools cache (scripts/provision-tools.sh cluster). */
function postgresql(): { bin: string; env: NodeJS.ProcessEnv } {
  const dir = join(toolsDir(), `postgresql-${POSTGRESQL_MAJOR}`);
  if (!existsSync(join(dir, 'bin', 'postgres'))) provisionTools('cluster');
  const libraries = join(dir, 'library-path');
  const env = existsSync(libraries)
    ? { LD_LIBRARY_PATH: [readFileSync(libraries, 'utf8').trim(), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }
    : {};
  return { bin: join(dir, 'bin'), env };
}

/**
 * PostgreSQL refuses to run as root. As root (a container, CI), its programs run in a user
 * namespace where this user is `nobody`: the same files, no chown, no other account needed.
 */
function asUser(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['unshare', ['--user', '--map-user=65534', '--map-group=65534', command, ...args]];
}

/**
 * A PostgreSQL server of its own in `dataDir` (made with initdb when empty), on loopback only and
 * with no Unix socket. Tuned for a test run: commits are not waited on to reach the disk (a crash
 * of the machine may lose the last ones; the server is never killed by the tests).
 */
export async function startPostgres(options: { dataDir: string; logDir: string; host?: string; port?: number }): Promise<PostgresServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const user = 'temporal';
  const { bin, env } = postgresql();
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    const [command, args] = asUser(join(bin, 'initdb'), [
      '-D',
      options.dataDir,
      '-U',
      user,
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    execFileSync(command, args, { stdio: 'pipe', env: { ...process.env, ...env } });
  }
  const [command, args] = asUser(join(bin, 'postgres'), [
    '-D',
    options.dataDir,
    '-h',
    host,
    '-p',
    String(port),
    '-k',
    '', // no Unix socket (its default directory belongs to the system's PostgreSQL)
    '-c',
    'max_connections=300',
    '-c',
    'synchronous_commit=off',
    '-c',
    'shared_buffers=64MB',
  ]);
  const managed = startProcess('postgres', command, args, { logFile: join(options.logDir, 'postgres.log'), env });
  await waitForPort(managed, host, port);
  return { host, port, user, process: managed };
}
