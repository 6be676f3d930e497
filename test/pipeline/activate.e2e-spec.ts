import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReceiverApp } from '../../apps/receiver';
import { AppLogFileLogger } from '../support/app-logs';
import { PipelineFixture } from './pipeline-fixture';

/**
 * Rollback by ACTIVATE on the real stack (docs/contract.md#activate): a rollback of a release
 * the receiver retains makes its files live again with no download and no upload; a receiver
 * that no longer keeps it, or an older one that refuses the operation, gets the tarball uploaded
 * instead, and the deployment succeeds saying so. Each app's target is a recording front of a
 * reference receiver, which tells what each push carried. RELEASES_KEPT is 2, so v1's tarball is
 * pruned by v3.
 */
type Release = {
  version: number;
  deployment: string;
  commit: string;
  cause: string;
  live: boolean;
  rolledBackTo?: number;
  tarballKept: boolean;
  retained: boolean;
  receiverRelease?: string;
  delivered?: string;
};

/** What one push to a front carried: the package's `_doc`, operation, `activates`, and how many archive parts. */
interface SeenPush {
  doc: string;
  operation: string;
  activates?: string;
  archives: number;
}

interface Front {
  url: string;
  pushes: SeenPush[];
  close(): Promise<void>;
}

/**
 * A front of a receiver that records every push; `refuseActivate` answers an ACTIVATE as a
 * receiver from before the operation did (400 `receiver:invalid_package`).
 */
async function startFront(upstream: string, options: { refuseActivate?: boolean } = {}): Promise<Front> {
  const pushes: SeenPush[] = [];
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (request.method === 'POST') {
      const text = body.toString('latin1');
      const seen: SeenPush = {
        doc: /"_doc":"([^"]+)"/.exec(text)?.[1] ?? '',
        operation: /"operation":"(\w+)"/.exec(text)?.[1] ?? '',
        activates: /"activates":"([^"]+)"/.exec(text)?.[1],
        archives: text.match(/name="archive-/g)?.length ?? 0,
      };
      pushes.push(seen);
      if (options.refuseActivate && seen.operation === 'ACTIVATE') {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 'receiver:invalid_package', message: 'package.operation must be one of DEPLOY, UNDEPLOY' }));
        return;
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (typeof value === 'string' && !['host', 'content-length', 'transfer-encoding', 'connection'].includes(name)) headers[name] = value;
    const answer = await fetch(`${upstream}${request.url}`, {
      method: request.method,
      headers,
      ...(request.method === 'POST' ? { body } : {}),
    });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    response.end(Buffer.from(await answer.arrayBuffer()));
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      response.writeHead(502);
      response.end(error.message);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, pushes, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('rollback by ACTIVATE', () => {
  let f: PipelineFixture;
  const fronts: Front[] = [];
  let forgetful: { app: NestFastifyApplication; url: string; root: string; deployDir: string };

  beforeAll(async () => {
    f = await PipelineFixture.start({ RELEASES_KEPT: '2' });
    // A reference receiver that keeps one release per app: an earlier one is gone when asked for.
    const root = await mkdtemp(join(tmpdir(), 'activate-'));
    const deployDir = join(root, 'deploy');
    const app = await createReceiverApp(
      {
        deployDir,
        stateDir: join(root, 'state'),
        maxArchiveBytes: 64 * 1024 * 1024,
        maxEntries: 10_000,
        bodyLimitBytes: 65 * 1024 * 1024,
        releasesKept: 1,
      },
      new AppLogFileLogger(),
    );
    await app.listen(0, '127.0.0.1');
    forgetful = { app, root, deployDir, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
  });
  afterAll(async () => {
    for (const front of fronts) await front.close();
    await f.stop();
    await forgetful?.app.close();
    await rm(forgetful.root, { recursive: true, force: true });
  });

  const front = async (upstream: string, options?: { refuseActivate?: boolean }) => {
    const started = await startFront(upstream, options);
    fronts.push(started);
    return started;
  };
  /** An app of admin's for `octo-org/<app>` that retains, deploying through `target`. */
  const configure = async (app: string, target: Front) => {
    const put = await f.harness.request('PUT', `/1/apps/admin/${app}`, {
      body: {
        repository: `octo-org/${app}`,
        retain: true,
        target: { url: `${target.url}/push`, statusUrl: `${target.url}/status/{{id}}` },
      },
    });
    expect(put.status).toBe(200);
  };
  const releases = async (app: string): Promise<Release[]> => (await f.harness.request('GET', `/1/apps/admin/${app}/releases`)).json;
  const tarballRequests = (app: string) => f.github.requests.filter((r) => r.url.startsWith(`/repos/octo-org/${app}/tarball/`)).length;
  const entries = async (id: string) =>
    (await f.harness.request('GET', `/1/deployments/${id}`)).json.steps as Array<{ step: string; status: string; message?: string }>;

  /** Pushes C1..Cn one after another, each deployed before the next. */
  async function pushAll(app: string, labels: string[]): Promise<Array<{ sha: string; id: string }>> {
    const pushed: Array<{ sha: string; id: string }> = [];
    for (const label of labels) {
      const c = await f.labelledCommit(app, label, pushed.at(-1)?.sha);
      const answer = await f.push(app, c.sha, { before: pushed.at(-1)?.sha });
      expect(answer.status).toBe(202);
      expect(await f.outcome(answer.json.workflowId)).toEqual({ state: 'succeeded' });
      pushed.push({ sha: c.sha, id: answer.json.id });
    }
    return pushed;
  }

  async function rollback(app: string, release: number): Promise<string> {
    const answer = await f.harness.request('POST', `/1/apps/admin/${app}/rollback`, { body: { release } });
    expect(answer.status).toBe(202);
    expect(await f.outcome(answer.json.workflowId)).toEqual({ state: 'succeeded' });
    return answer.json.id;
  }

  it("makes an earlier retained release's files live at the reference receiver, with no download and no upload", async () => {
    const app = 'act-kept';
    const target = await front(f.receiverUrl);
    await configure(app, target);
    const commits = await pushAll(app, ['C1', 'C2', 'C3']);
    expect((await releases(app)).map((r) => [r.version, r.retained, r.receiverRelease, r.delivered])).toEqual([
      [3, true, commits[2].id, 'upload'],
      [2, true, commits[1].id, 'upload'],
      [1, true, commits[0].id, 'upload'],
    ]);
    expect((await releases(app)).find((r) => r.version === 1)!.tarballKept).toBe(false); // pruned: ACTIVATE does not need it
    const downloads = tarballRequests(app);

    const v4 = await rollback(app, 1);
    expect(await f.liveLabel(app)).toBe('// C1\n');
    expect(target.pushes.filter((p) => p.doc.startsWith(v4))).toEqual([
      { doc: v4, operation: 'ACTIVATE', activates: commits[0].id, archives: 0 },
    ]);
    expect(tarballRequests(app)).toBe(downloads);
    const log = await entries(v4);
    expect(log.map((e) => `${e.step}:${e.status}`)).toEqual(
      expect.arrayContaining(['fetch:ok', 'activating:pending', 'activating:ok', 'processing:ok', 'done:ok']),
    );
    expect(log.filter((e) => ['upload', 'inspect'].includes(e.step))).toEqual([]);
    expect(log.find((e) => e.step === 'activating')!.message).toContain('ACTIVATE');
    expect((await releases(app))[0]).toMatchObject({
      version: 4,
      deployment: v4,
      commit: commits[0].sha,
      cause: 'rollback',
      rolledBackTo: 1,
      live: true,
      retained: true,
      receiverRelease: commits[0].id,
      delivered: 'activate',
    });

    expect((await f.harness.request('GET', `/1/deployments/${v4}`)).json.delivered).toEqual({
      how: 'activate',
      retained: true,
      receiverRelease: commits[0].id,
    });

    // A release made by ACTIVATE points at the DEPLOY that carried its files: rolling back to it activates those.
    const v5 = await rollback(app, 2);
    expect(await f.liveLabel(app)).toBe('// C2\n');
    const v6 = await rollback(app, 4);
    expect(await f.liveLabel(app)).toBe('// C1\n');
    expect(target.pushes.filter((p) => p.doc === v5 || p.doc === v6).map((p) => [p.operation, p.activates, p.archives])).toEqual([
      ['ACTIVATE', commits[1].id, 0],
      ['ACTIVATE', commits[0].id, 0],
    ]);
    expect(tarballRequests(app)).toBe(downloads);
  });

  it('uploads the tarball instead when the receiver no longer keeps the release (RECEIVER_RELEASES_KEPT=1), and says so', async () => {
    const app = 'act-gone';
    const target = await front(forgetful.url);
    await configure(app, target);
    const commits = await pushAll(app, ['C1', 'C2', 'C3']);
    const downloads = tarballRequests(app);

    const v4 = await rollback(app, 1);
    expect(await readFile(join(forgetful.deployDir, app, 'index.js'), 'utf8')).toBe('// C1\n');
    expect(target.pushes.filter((p) => p.doc.startsWith(v4))).toEqual([
      { doc: v4, operation: 'ACTIVATE', activates: commits[0].id, archives: 0 },
      { doc: `${v4}-upload`, operation: 'DEPLOY', activates: undefined, archives: 1 },
    ]);
    expect(tarballRequests(app)).toBe(downloads + 1); // v1's tarball was pruned: fetched from GitHub again
    const log = await entries(v4);
    // Accepted, then the package's ERROR: the fallback is the activating step's last entry.
    const activating = log.filter((e) => e.step === 'activating');
    expect(activating.map((e) => e.status)).toEqual(['pending', 'ok', 'ok']);
    expect(activating[2].message).toMatch(
      /^The target cannot activate release v1 \(receiver:release_not_kept: .*\); its tarball is uploaded instead\.$/,
    );
    expect(log.map((e) => `${e.step}:${e.status}`)).toEqual(expect.arrayContaining(['inspect:ok', 'upload:ok', 'done:ok']));
    expect((await releases(app))[0]).toMatchObject({
      version: 4,
      rolledBackTo: 1,
      cause: 'rollback',
      retained: true,
      receiverRelease: `${v4}-upload`,
      delivered: 'upload',
    });
    expect((await f.harness.request('GET', `/1/deployments/${v4}`)).json.delivered).toEqual({
      how: 'upload',
      retained: true,
      receiverRelease: `${v4}-upload`,
    });
  });

  it('uploads the kept tarball instead when an older receiver refuses the operation', async () => {
    const app = 'act-old';
    const target = await front(f.receiverUrl, { refuseActivate: true });
    await configure(app, target);
    const commits = await pushAll(app, ['C1', 'C2', 'C3']);
    const downloads = tarballRequests(app);

    const v4 = await rollback(app, 2);
    expect(await f.liveLabel(app)).toBe('// C2\n');
    expect(target.pushes.filter((p) => p.doc.startsWith(v4)).map((p) => [p.doc, p.operation, p.archives])).toEqual([
      [v4, 'ACTIVATE', 0],
      [`${v4}-upload`, 'DEPLOY', 1],
    ]);
    expect(tarballRequests(app)).toBe(downloads); // v2's tarball is kept
    const log = await entries(v4);
    expect(log.find((e) => e.step === 'activating' && e.status === 'ok')!.message).toContain(
      'the receiver refused the ACTIVATE with HTTP 400: {"code":"receiver:invalid_package"',
    );
    expect(log.find((e) => e.step === 'fetch' && e.message?.includes('is uploaded'))).toBeDefined();
    expect((await releases(app))[0]).toMatchObject({ version: 4, rolledBackTo: 2, commit: commits[1].sha, delivered: 'upload' });
  });
});
