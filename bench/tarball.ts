import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as tar from 'tar-stream';
import { noiseStream } from '../test/support/archives';
import { deployAll, deploymentStack, OWNER, timingSummary } from './deploys';
import { atLeast, atMost, BenchStack, HOST, info, round, Row, rssMb, sleep } from './lib';

const MB = 1024 * 1024;

/**
 * GitHub-shaped for one job: package.json from the contents API and the commit tarball streamed
 * from a file (tools/github-standin/github-standin.ts holds tarballs as Buffers, fine for 1 MB, not 512).
 */
function streamingGithub(tarballs: Record<string, string>): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const contents = /^\/repos\/[^/]+\/([^/]+)\/contents\/package\.json$/.exec(url.pathname);
    if (contents) {
      const content = Buffer.from(JSON.stringify({ name: contents[1], version: '1.0.0' })).toString('base64');
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ type: 'file', encoding: 'base64', content, name: 'package.json', path: 'package.json' }));
    }
    const tarball = /\/tarball\/([0-9a-f]+)$/.exec(url.pathname);
    const file = tarball && tarballs[tarball[1]];
    if (!file) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end('{"message":"Not Found"}');
    }
    res.writeHead(200, { 'content-type': 'application/x-gzip', 'content-length': String(statSync(file).size) });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, HOST, () => resolve({ url: `http://${HOST}:${(server.address() as AddressInfo).port}`, server })),
  );
}

/** A GitHub-layout tar.gz of `bytes` random bytes in one file, stored (gzip level 0) so building it is quick. */
async function writeTarball(file: string, top: string, bytes: number): Promise<void> {
  const pack = tar.pack();
  const written = pipeline(pack, createGzip({ level: 0 }), createWriteStream(file));
  pack.entry({ name: `${top}/package.json` }, JSON.stringify({ name: 'big', version: '1.0.0' }));
  const entry = pack.entry({ name: `${top}/blob.bin`, size: bytes });
  await pipeline(noiseStream(bytes, MB), entry);
  pack.finalize();
  await written;
}

/**
 * The baseline, in its own process like the worker: the same bytes GET over loopback into a file,
 * then POSTed from that file over loopback to a sink (in this process, like the receiver's side).
 */
const RAW_PIPE = `
const { createReadStream, createWriteStream } = require('node:fs');
const { request } = require('node:http');
const { pipeline } = require('node:stream/promises');
const [source, sink, file] = process.argv.slice(1);
(async () => {
  const t0 = performance.now();
  await new Promise((resolve, reject) => request(source, (res) => pipeline(res, createWriteStream(file)).then(resolve, reject)).on('error', reject).end());
  const t1 = performance.now();
  await new Promise((resolve, reject) => {
    const req = request(sink, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => res.resume().on('end', resolve));
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
  console.log(JSON.stringify({ downloadSeconds: (t1 - t0) / 1000, uploadSeconds: (performance.now() - t1) / 1000 }));
})();
`;

async function rawPipe(source: string, workDir: string): Promise<{ seconds: number; downloadSeconds: number; uploadSeconds: number }> {
  const sink = createServer((req, res) => void pipeline(req, createWriteStream(join(workDir, 'raw-sink'))).then(() => res.end('{}')));
  await new Promise<void>((resolve) => sink.listen(0, HOST, resolve));
  const sinkUrl = `http://${HOST}:${(sink.address() as AddressInfo).port}/`;
  const child = spawn(process.execPath, ['-e', RAW_PIPE, source, sinkUrl, join(workDir, 'raw-download')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = await once(child, 'exit');
  sink.close();
  await Promise.all(['raw-sink', 'raw-download'].map((f) => rm(join(workDir, f), { force: true })));
  if (code !== 0) throw new Error(`raw pipe exited with ${code}`);
  const times = JSON.parse(out) as { downloadSeconds: number; uploadSeconds: number };
  return { seconds: times.downloadSeconds + times.uploadSeconds, ...times };
}

/** Benchmark 2: one large tarball GitHub → worker (BlobStore) → receiver, vs a raw loopback pipe. */
export async function tarball(stack: BenchStack): Promise<{ rows: Row[]; raw: unknown }> {
  const sizeMb = Number(process.env.BENCH_TARBALL_MB ?? 512);
  const big = 'b'.repeat(40);
  const small = 'a'.repeat(40);
  const bigFile = join(stack.workDir, 'big.tar.gz');
  const smallFile = join(stack.workDir, 'small.tar.gz');
  await writeTarball(bigFile, `${OWNER}-big-bbbbbbb`, sizeMb * MB);
  await writeTarball(smallFile, `${OWNER}-big-aaaaaaa`, MB);
  const bytes = statSync(bigFile).size;
  const github = await streamingGithub({ [big]: bigFile, [small]: smallFile });
  try {
    const raw = await rawPipe(`${github.url}/_codeload/${big}/tarball/${big}`, stack.workDir);

    const deployments = await deploymentStack(stack, 'tarball', { githubUrl: github.url });
    try {
      // The worker holds the target client; the receiver takes the upload and extracts it.
      const worker = deployments.workers[0].child.pid!;
      const receiver = deployments.receiver.child.pid!;
      // Warm-up: the first deployment loads the workflow bundle and opens connections.
      await deployAll(stack, deployments.database, deployments.gatewayUrls, [{ repo: 'big', sha: small }]);
      await sleep(1_000);
      const rssBefore = rssMb(worker);
      const receiverBefore = rssMb(receiver);
      let rssPeak = rssBefore;
      let receiverPeak = receiverBefore;
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, rssMb(worker));
        receiverPeak = Math.max(receiverPeak, rssMb(receiver));
      }, 100);
      const { timings } = await deployAll(stack, deployments.database, deployments.gatewayUrls, [{ repo: 'big2', sha: big }]).finally(() =>
        clearInterval(sampler),
      );
      const t = timings[0];
      if (t.state !== 'succeeded') throw new Error(`the ${sizeMb} MB deployment ended ${t.state}; see ${stack.logDir}`);
      const productSeconds = (t.fetchMs + t.uploadMs) / 1000;
      const mbps = (s: number) => bytes / MB / s;
      const rows: Row[] = [
        atLeast(`${sizeMb} MB tarball fetch+upload throughput`, mbps(productSeconds), mbps(raw.seconds), 'MB/s', 0.5),
        info(
          '  fetch (GitHub → BlobStore) / upload (BlobStore → receiver)',
          `${round(mbps(t.fetchMs / 1000))} / ${round(mbps(t.uploadMs / 1000))} MB/s`,
          `${round(mbps(raw.downloadSeconds))} / ${round(mbps(raw.uploadSeconds))} MB/s`,
        ),
        atMost(
          `worker RSS growth during the ${sizeMb} MB deployment (RSS before: ${round(rssBefore)} MB)`,
          rssPeak - rssBefore,
          null,
          'MB',
          64,
        ),
        atMost(
          `receiver RSS growth taking and extracting it (RSS before: ${round(receiverBefore)} MB)`,
          receiverPeak - receiverBefore,
          null,
          'MB',
          64,
        ),
      ];
      return {
        rows,
        raw: {
          bytes,
          rawPipe: raw,
          deployment: t,
          rssBeforeMb: rssBefore,
          rssPeakMb: rssPeak,
          receiverRssBeforeMb: receiverBefore,
          receiverRssPeakMb: receiverPeak,
          summary: timingSummary(timings),
        },
      };
    } finally {
      await deployments.stop();
    }
  } finally {
    github.server.close();
    await Promise.all([bigFile, smallFile].map((f) => rm(f, { force: true })));
  }
}
