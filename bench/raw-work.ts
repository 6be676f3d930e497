import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DirectoryBlobStore, inspectTarball } from '../libs/tarballs';
import { TargetClient } from '../libs/targets';
import { OWNER } from './deploys';
import { HOST, median, round, sleep } from './lib';

/** What a deployment's work costs without the service around it: each part, and the whole. */
export interface RawWorkTiming {
  totalMs: number;
  fetchMs: number;
  inspectMs: number;
  uploadMs: number;
  processingMs: number;
}

/**
 * The raw-work baseline (docs/performance.md#the-raw-work-baseline): one deployment's work done by
 * plain code, no Temporal, no gateway, no status log, on the same GitHub-shaped server, blob
 * directory and reference receiver. It reads package.json, streams the tarball into the blob
 * directory, inspects it, uploads it and polls the receiver on the workflow's own schedule
 * (200 ms, growing by half) until SUCCESS, so what the service adds is everything else.
 */
export class RawWork {
  private readonly client = new TargetClient({ outbound: { allow: [HOST] } });

  private constructor(
    private readonly blobs: DirectoryBlobStore,
    private readonly blobDir: string,
  ) {}

  static async create(): Promise<RawWork> {
    const dir = await mkdtemp(join(tmpdir(), 'raw-work-'));
    return new RawWork(new DirectoryBlobStore(dir), dir);
  }

  async close(): Promise<void> {
    await rm(this.blobDir, { recursive: true, force: true });
  }

  async deploy(githubUrl: string, receiverUrl: string, repo: string, sha: string): Promise<RawWorkTiming> {
    const started = performance.now();
    const manifest = await get(`${githubUrl}/repos/${OWNER}/${repo}/contents/package.json?ref=${sha}`);
    const { name, version } = JSON.parse(Buffer.from((manifest as { content: string }).content, 'base64').toString('utf8'));
    const tarball = await fetch(`${githubUrl}/repos/${OWNER}/${repo}/tarball/${sha}`);
    if (!tarball.ok || !tarball.body) throw new Error(`tarball answered ${tarball.status}`);
    const blobId = randomUUID();
    await this.blobs.put(blobId, Readable.fromWeb(tarball.body as never));
    const fetched = performance.now();
    await inspectTarball(this.blobs.open(blobId), { maxEntries: 10_000, maxBytes: 1 << 30 });
    const inspected = performance.now();
    const target = { url: `${receiverUrl}/push`, statusUrl: `${receiverUrl}/status/{{id}}` };
    const pkg = {
      _doc: blobId,
      operation: 'DEPLOY' as const,
      retain: false,
      app: { name, version },
      commit: sha,
      repository: `${OWNER}/${repo}`,
      env: {},
      records: [{ _doc: `${blobId}-0`, operation: 'DEPLOY' as const, ref: `${OWNER}/${repo}@${sha}` }],
    };
    const { remoteId } = await this.client.push(target, pkg, [{ open: () => this.blobs.open(blobId) }]);
    const uploaded = performance.now();
    for (let delay = 200; ; delay = Math.min(delay * 1.5, 15_000)) {
      const status = await this.client.status(target, remoteId);
      if (status.state === 'SUCCESS') break;
      if (status.state === 'ERROR') throw new Error(`the receiver reported ERROR for ${repo}@${sha}`);
      await sleep(delay);
    }
    const done = performance.now();
    await this.blobs.remove(blobId);
    return {
      totalMs: done - started,
      fetchMs: fetched - started,
      inspectMs: inspected - fetched,
      uploadMs: uploaded - inspected,
      processingMs: done - uploaded,
    };
  }
}

/** The medians of several raw-work runs. */
export function rawWorkSummary(runs: RawWorkTiming[]): RawWorkTiming {
  const of = (key: keyof RawWorkTiming) => round(median(runs.map((run) => run[key])));
  return {
    totalMs: of('totalMs'),
    fetchMs: of('fetchMs'),
    inspectMs: of('inspectMs'),
    uploadMs: of('uploadMs'),
    processingMs: of('processingMs'),
  };
}

async function get(url: string): Promise<unknown> {
  const answer = await fetch(url, { headers: { accept: 'application/vnd.github+json' } });
  if (!answer.ok) throw new Error(`GET ${url} answered ${answer.status}`);
  return answer.json();
}
