import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where scripts/provision-tools.sh caches the stack's tools: per user, outside the clone. */
export const TEMPORAL_CLI_VERSION = process.env.TEMPORAL_CLI_VERSION ?? '1.5.1';
export const MONGO_JAVA_SERVER_VERSION = process.env.MONGO_JAVA_SERVER_VERSION ?? '1.47.0';

/** The clone's root: the nearest folder above this file holding scripts/provision-tools.sh. */
export const repoRoot = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'scripts', 'provision-tools.sh'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

export function toolsDir(): string {
  return process.env.DEPLOY_WEBHOOKS_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'deploy-webhooks', 'tools');
}

export function provisionTools(what: 'temporal' | 'mongo' | 'cluster'): void {
  execFileSync('bash', [join(repoRoot, 'scripts', 'provision-tools.sh'), what], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export function temporalBinary(): string {
  const binary = join(toolsDir(), `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal');
  if (!existsSync(binary)) provisionTools('temporal');
  return binary;
}

export function mongoWireClasspath(): string {
  const file = join(toolsDir(), `mongo-java-server-${MONGO_JAVA_SERVER_VERSION}`, 'classpath.txt');
  if (!existsSync(file)) provisionTools('mongo');
  return readFileSync(file, 'utf8').trim();
}
