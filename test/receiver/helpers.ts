import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createReceiverApp, ReceiverOptions } from '../../apps/receiver';
import { DeploymentPackage, DeploymentTarget, PackageStatus, TargetClient } from '../../libs/targets';
import { AppLogFileLogger } from '../support/app-logs';

export interface RunningReceiver {
  app: NestFastifyApplication;
  url: string;
  target: DeploymentTarget;
  options: ReceiverOptions;
  close(): Promise<void>;
}

export async function tempDirs(): Promise<{ root: string; deployDir: string; stateDir: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'receiver-'));
  return {
    root,
    deployDir: join(root, 'deploy'),
    stateDir: join(root, 'state'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function startReceiver(
  options: Partial<ReceiverOptions> & Pick<ReceiverOptions, 'deployDir' | 'stateDir'>,
): Promise<RunningReceiver> {
  const full: ReceiverOptions = { maxArchiveBytes: 1024 * 1024, maxEntries: 1000, bodyLimitBytes: 4 * 1024 * 1024, ...options };
  const app = await createReceiverApp(full, new AppLogFileLogger());
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const target: DeploymentTarget = {
    url: `${url}/push`,
    statusUrl: `${url}/status/{{id}}`,
    username: options.username,
    password: options.password,
  };
  return { app, url, target, options: full, close: () => app.close() };
}

let counter = 0;
export function deploymentPackage(overrides: Partial<DeploymentPackage> = {}): DeploymentPackage {
  counter += 1;
  return {
    _doc: `dep-${process.pid}-${Date.now()}-${counter}`,
    operation: 'DEPLOY',
    retain: false,
    app: { name: 'shop', version: '1.0.0' },
    commit: 'abc1234',
    repository: 'octo/app',
    env: { NODE_ENV: 'production' },
    records: [{ _doc: 'rec-1', operation: 'DEPLOY', ref: 'octo/app@abc1234' }],
    ...overrides,
  };
}

export function archiveOf(buffer: Buffer, id?: string) {
  return { id, open: () => Readable.from([buffer]) };
}

/** Polls the status URL until the package is final. */
export async function waitForFinal(
  client: TargetClient,
  target: DeploymentTarget,
  id: string,
  timeoutMs = 10_000,
): Promise<PackageStatus & Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await client.status(target, id);
    if (status.state === 'SUCCESS' || status.state === 'ERROR')
      return (await rawStatus(target, id)) as PackageStatus & Record<string, unknown>;
    if (Date.now() > until) throw new Error(`package ${id} still ${status.state}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The receiver's full status document, histories included. */
export async function rawStatus(target: DeploymentTarget, id: string): Promise<any> {
  const headers: Record<string, string> = target.username
    ? { authorization: `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}` }
    : {};
  const res = await fetch(target.statusUrl!.replace('{{id}}', encodeURIComponent(id)), { headers });
  return res.json();
}

/** All files below dir as relative path → content (symlinks as "-> target"). */
export async function listFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    const rel = full.slice(dir.length + 1);
    if (entry.isFile()) out[rel] = await readFile(full, 'utf8');
    else if (entry.isSymbolicLink()) out[rel] = `-> ${await readlink(full)}`;
  }
  return out;
}
