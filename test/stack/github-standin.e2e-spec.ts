import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GithubServer, STANDIN_FILE } from '../../tools/github-standin/github-standin';
import { standinPush } from '../../tools/github-standin/standin-push';

/** A request as sent, the path not normalised (fetch would resolve `..`). */
function raw(base: string, method: string, path: string, body?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.path = path;
    req.end(body);
  });
}

/** `GITHUB_STANDIN=1 npm start` runs the stand-in inside cli.js: one bad request must not end it. */
describe('GitHub stand-in: bad requests are answered, never crash the process', () => {
  let github: GithubServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    github = await new GithubServer().start(0);
  });
  afterAll(async () => {
    await github.stop();
    process.off('unhandledRejection', onUnhandled);
  });
  afterEach(() => expect(unhandled).toEqual([]));

  const stillServing = async () => expect((await raw(github.url, 'POST', '/_standin/repos/alice/x/commits', '{}')).status).toBe(201);

  it('answers malformed JSON and bodies that are not objects with 400 {message}', async () => {
    for (const body of ['{bad', 'null', '[]', '"text"']) {
      const answer = await raw(github.url, 'POST', '/_standin/repos/alice/x/commits', body);
      expect([answer.status, answer.json.message]).toEqual([400, expect.stringMatching(/^Problems parsing JSON/)]);
    }
    expect((await raw(github.url, 'POST', '/_standin/repos/alice/x/commits', '{"branch":5}')).json).toMatchObject({
      message: 'branch and message must be strings.',
    });
    await stillServing();

    const sha = (await github.commit('alice/x')).after;
    expect((await raw(github.url, 'POST', `/repos/alice/x/statuses/${sha}`, '{bad')).status).toBe(400);
    expect((await raw(github.url, 'POST', `/repos/alice/x/statuses/${sha}`, '{}')).status).toBe(422);
    expect((await raw(github.url, 'POST', `/repos/alice/x/statuses/${sha}`, '{"state":"success"}')).status).toBe(201);
  });

  it('answers malformed percent-encoding in a path with 400', async () => {
    const sha = (await github.commit('alice/x')).after;
    for (const path of ['%E0%A4%A', '%', 'a%zz']) {
      const answer = await raw(github.url, 'GET', `/repos/alice/x/contents/${path}?ref=${sha}`);
      expect([answer.status, answer.json.message]).toEqual([400, expect.stringMatching(/^Malformed percent-encoding/)]);
    }
    expect((await raw(github.url, 'GET', `/repos/alice/x/contents/package%2Ejson?ref=${sha}`)).status).toBe(200);
  });

  it('refuses owner and repository names GitHub refuses with 422, making no commit', async () => {
    for (const [owner, name, field] of [
      ['alice', '..', 'name'],
      ['alice', '.', 'name'],
      ['..', 'x', 'owner'],
      ['alice', 'a%20b', 'name'],
      ['alice', 'x$', 'name'],
      ['alice', 'r'.repeat(101), 'name'],
    ]) {
      const answer = await raw(github.url, 'POST', `/_standin/repos/${owner}/${name}/commits`, '{}');
      expect([answer.status, answer.json]).toEqual([
        422,
        expect.objectContaining({ message: 'Repository creation failed.', errors: [expect.objectContaining({ field })] }),
      ]);
    }
    expect([...github.repositories.keys()].filter((name) => name !== 'alice/x')).toEqual([]);
    expect((await raw(github.url, 'POST', '/_standin/repos/Octo-Org/my_app.js/commits', '{}')).status).toBe(201);
  });

  it('answers any other failure with 500 JSON, logs it to stderr and keeps serving', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const commit = jest.spyOn(github, 'commit').mockRejectedValueOnce(new Error('disk full'));
    try {
      const answer = await raw(github.url, 'POST', '/_standin/repos/alice/x/commits', '{}');
      expect([answer.status, answer.json.message]).toEqual([500, 'Server Error']);
      expect(stderr.mock.calls.map(([text]) => String(text)).join('')).toMatch(
        /\[github-standin\] POST \/_standin\/repos\/alice\/x\/commits failed: Error: disk full/,
      );
    } finally {
      commit.mockRestore();
      stderr.mockRestore();
    }
    await stillServing();
  });

  describe('npm run standin:push', () => {
    let stateDir: string;
    let gateway: Server;
    const delivered: string[] = [];
    const point = (urls: { github: string; gateway: string }) => writeFileSync(join(stateDir, STANDIN_FILE), JSON.stringify(urls));

    beforeAll(async () => {
      stateDir = mkdtempSync(join(tmpdir(), 'standin-push-'));
      process.env.STACK_STATE_DIR = stateDir;
      gateway = createServer((req, res) => {
        delivered.push(req.url!);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"dep_1"}');
      });
      await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
      point({ github: github.url, gateway: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}` });
    });
    afterAll(async () => {
      delete process.env.STACK_STATE_DIR;
      await new Promise((resolve) => gateway.close(resolve));
      rmSync(stateDir, { recursive: true, force: true });
    });

    it('refuses owner/repo GitHub would refuse with the usage, asking the stand-in nothing', async () => {
      const before = github.requests.length;
      for (const repository of ['../etc', 'alice/..', './x', 'alice/x/y', 'alice', 'alice/x y']) {
        await expect(standinPush(['alice:TOKEN', repository])).rejects.toThrow(
          /is not a GitHub repository: owner\/repo.*\nusage: npm run standin:push/s,
        );
      }
      await expect(standinPush(['alice'])).rejects.toThrow(/^usage: /);
      expect(github.requests.length).toBe(before);
    });

    it('prints the status and message the stand-in answered instead of "did not answer"', async () => {
      const commit = jest.spyOn(github, 'commit').mockRejectedValueOnce(new Error('disk full'));
      const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await expect(standinPush(['alice:TOKEN', 'alice/x'])).rejects.toThrow(
          `The GitHub stand-in at ${github.url} answered 500: Server Error`,
        );
      } finally {
        commit.mockRestore();
        stderr.mockRestore();
      }
      expect(delivered).toEqual([]);
    });

    it('says the stand-in did not answer only when nothing answers, and delivers a push when it does', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise((resolve) => closed.close(resolve));
      const gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      point({ github: url, gateway: gatewayUrl });
      await expect(standinPush(['alice:TOKEN', 'alice/x'])).rejects.toThrow(
        `The GitHub stand-in at ${url} did not answer; is GITHUB_STANDIN=1 npm start still running?`,
      );
      point({ github: github.url, gateway: url });
      await expect(standinPush(['alice:TOKEN', 'alice/x'])).rejects.toThrow(
        `The gateway at ${url} did not answer; is GITHUB_STANDIN=1 npm start still running?`,
      );

      point({ github: github.url, gateway: gatewayUrl });
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await standinPush(['alice:TOKEN', 'alice/x', '--message', 'hello']);
        expect(log.mock.calls[0][0]).toMatch(/^pushed alice\/x@[0-9a-f]{7} \(hello\) to main; .*\/1\/deploy answered 202:$/);
      } finally {
        log.mockRestore();
      }
      expect(delivered).toEqual(['/1/deploy']);
    });
  });
});
