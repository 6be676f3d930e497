import { createHash, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { isRepositoryName } from '../../libs/github/names';
import {
  checkRunJson,
  checkSuiteEvent,
  checkSuiteJson,
  covers,
  deploymentJson,
  deploymentStatusJson,
  installationJson,
  StandinCi,
} from './github-standin-ci';
import { pullRequestEvent, StandinPulls } from './github-standin-pulls';

/**
 * A local stand-in for GitHub: the few REST endpoints the product calls (GET /user, contents,
 * tarball with its 302 to a codeload-like URL, commit statuses), with response shapes from
 * GitHub's published examples. Private repositories answer 404 without a token that may read
 * them, as GitHub does. The tests and benchmarks use it in place of GitHub, and so does
 * `GITHUB_STANDIN=1 npm start`, so a deployment can be tried on a machine GitHub cannot reach:
 * `POST /_standin/repos/:owner/:repo/commits` makes a new commit and answers the push payload
 * GitHub would deliver for it (`npm run standin:push` delivers it to the gateway).
 */
/** In the stack's state dir while `GITHUB_STANDIN=1 npm start` runs: the stand-in's and the gateway's URLs. */
export const STANDIN_FILE = 'github-standin.json';

/** A request the stand-in answers with `status` and `{message}`, as GitHub answers bad requests. */
class StandinError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface FakeRepository {
  private?: boolean;
  /** Files at each commit, for the contents API (package.json, .travis.yml). */
  files: Record<string, Record<string, string>>;
  /** The tar.gz served for each commit. */
  tarballs: Record<string, Buffer>;
  /** Each commit's parents, for the compare API (a commit without an entry has none). */
  parents?: Record<string, string[]>;
  /** Each branch's head, moved by `commit()`. */
  heads?: Record<string, string>;
  /** Each tag's commit, for `GET …/commits/{ref}`. */
  tags?: Record<string, string>;
}

export interface RecordedStatus {
  repository: string;
  sha: string;
  state: string;
  target_url?: string;
  description?: string;
  context?: string;
  token?: string;
}

export class GithubServer {
  readonly repositories = new Map<string, FakeRepository>();
  /** token → login */
  readonly tokens = new Map<string, string>();
  readonly statuses: RecordedStatus[] = [];
  readonly requests: Array<{ method: string; url: string; token?: string }> = [];
  /** Check suites and runs, deployments, the GitHub App and its installations. */
  readonly ci = new StandinCi();
  /** Pull requests (docs/contract.md#preview-apps). */
  readonly pulls = new StandinPulls();
  /** Fail the next N tarball downloads with 502 (retry tests). */
  failTarballs = 0;
  /** Fail the next N contents reads (package.json, .travis.yml) with 502. */
  failContents = 0;
  /** Cut the next N tarball downloads after half their bytes: the connection dropped mid-stream. */
  cutTarballs = 0;
  /** While set, each tarball download waits for it before its first byte (a slow GitHub). */
  tarballGate?: Promise<void>;
  /** Every tarball download from codeload; `finished` once its connection closed: whether all bytes went out. */
  readonly downloads: Array<{ repository: string; sha: string; finished?: boolean }> = [];
  /** Fail deployment creation with 500 while set (GitHub deployments must never fail a deployment). */
  failDeployments = false;
  private server?: Server;
  url = '';

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, host, resolve));
    this.url = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * A new commit on `owner/repo`: a small Node app whose package.json is named after the
   * repository, served by the contents and tarball endpoints. Answers the push GitHub would deliver.
   */
  async commit(
    fullName: string,
    options: { branch?: string; message?: string; actions?: boolean } = {},
  ): Promise<GithubPushPayload & { installation?: { id: number } }> {
    const [owner, repo] = fullName.split('/');
    const branch = options.branch ?? 'main';
    const repository = this.repositories.get(fullName) ?? { files: {}, tarballs: {} };
    this.repositories.set(fullName, repository);
    const number = Object.keys(repository.tarballs).length + 1;
    const message = options.message ?? `Change ${number}`;
    const sha = createHash('sha1')
      .update(`${fullName}\n${number}\n${randomBytes(8).toString('hex')}`)
      .digest('hex');
    const files = {
      'package.json': JSON.stringify(
        { name: repo, version: `1.0.${number}`, main: 'index.js', scripts: { start: 'node index.js' } },
        null,
        2,
      ),
      'index.js': `console.log(${JSON.stringify(`${fullName} at ${sha.slice(0, 7)}: ${message}`)});\n`,
      ...(options.actions && {
        '.github/workflows/ci.yml': 'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n',
      }),
    };
    repository.files[sha] = files;
    // GitHub Actions queues a suite for the push at once; `_standin/…/check-suites/:id` completes it.
    if (options.actions) this.ci.addSuite(fullName, sha, { runs: [{ name: 'test' }] });
    repository.tarballs[sha] = await githubTarball({ owner, repo, sha, files });
    const before = repository.heads?.[branch];
    this.addCommit(fullName, sha, before ? [before] : []);
    (repository.heads ??= {})[branch] = sha;
    const push = githubPush({ owner, repo, sha, ref: `refs/heads/${branch}`, message, before });
    // GitHub adds the installation to what it delivers to an App's webhook.
    const installation = this.ci.installationFor(fullName);
    return installation ? { ...push, installation: { id: installation.id } } : push;
  }

  /**
   * Opens a pull request of `fullName` from a new commit on `branch` (of `fork`, another
   * repository, when given; its commit is served by the base repository too, as GitHub does):
   * answers the `opened` event GitHub would deliver.
   */
  async openPullRequest(fullName: string, options: { branch?: string; fork?: string; number?: number } = {}) {
    const branch = options.branch ?? `feature-${randomBytes(3).toString('hex')}`;
    const { after: sha } = await this.commit(fullName, { branch, message: `Open a pull request from ${branch}` });
    const pull = this.pulls.open(fullName, { sha, ref: branch, repository: options.fork ?? fullName }, { number: options.number });
    return pullRequestEvent('opened', pull, { installation: this.ci.installationFor(fullName)?.id });
  }

  /** A new commit on the pull request's head branch: the `synchronize` event. */
  async pushToPullRequest(fullName: string, number: number) {
    const pull = this.pulls.find(fullName, number);
    if (!pull) throw new Error(`no pull request #${number} of ${fullName}`);
    const { after: sha } = await this.commit(fullName, { branch: pull.head.ref, message: `Push to #${number}` });
    const before = this.pulls.push(fullName, number, sha);
    return pullRequestEvent('synchronize', pull, { before, installation: this.ci.installationFor(fullName)?.id });
  }

  /** Closes (or merges) the pull request: the `closed` event. */
  closePullRequest(fullName: string, number: number, merged = false) {
    return pullRequestEvent('closed', this.pulls.close(fullName, number, merged), { installation: this.ci.installationFor(fullName)?.id });
  }

  /** Records a commit's parents (its files and tarball are the caller's). */
  addCommit(fullName: string, sha: string, parents: string[]): void {
    const repository = this.repositories.get(fullName);
    if (!repository) throw new Error(`no repository ${fullName} on the GitHub stand-in`);
    (repository.parents ??= {})[sha] = parents;
  }

  /** GitHub's compare of two commits: where `head` stands from `base`, with the commits between. */
  private compare(fullName: string, repository: FakeRepository, base: string, head: string): Record<string, unknown> | undefined {
    const known = (sha: string) => repository.tarballs[sha] !== undefined || repository.parents?.[sha] !== undefined;
    if (!known(base) || !known(head)) return undefined;
    const ancestors = (sha: string) => {
      const seen = new Set<string>();
      for (const stack = [sha]; stack.length > 0;) {
        const next = stack.pop()!;
        if (seen.has(next)) continue;
        seen.add(next);
        stack.push(...(repository.parents?.[next] ?? []));
      }
      return seen;
    };
    const [fromBase, fromHead] = [ancestors(base), ancestors(head)];
    const ahead = [...fromHead].filter((sha) => !fromBase.has(sha));
    const behind = [...fromBase].filter((sha) => !fromHead.has(sha));
    const status =
      ahead.length === 0 && behind.length === 0 ? 'identical' : behind.length === 0 ? 'ahead' : ahead.length === 0 ? 'behind' : 'diverged';
    const commit = (sha: string) => ({
      sha,
      url: `${this.url}/repos/${fullName}/commits/${sha}`,
      parents: (repository.parents?.[sha] ?? []).map((p) => ({ sha: p })),
    });
    const mergeBase = [...fromHead].find((sha) => fromBase.has(sha));
    return {
      url: `${this.url}/repos/${fullName}/compare/${base}...${head}`,
      html_url: `https://github.com/${fullName}/compare/${base}...${head}`,
      base_commit: commit(base),
      merge_base_commit: mergeBase ? commit(mergeBase) : null,
      status,
      ahead_by: ahead.length,
      behind_by: behind.length,
      total_commits: ahead.length,
      commits: ahead.map(commit),
      files: changedFiles(repository.files[base] ?? {}, repository.files[head] ?? {}),
    };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /**
   * Answers every request and never throws: one bad request must not end `npm start`. A
   * malformed one is answered 400 (422 for a bad repository name) with `{message}` as GitHub
   * does, anything else that fails 500, logged to stderr.
   */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (error) {
      const known = error instanceof StandinError ? error : undefined;
      if (!known) process.stderr.write(`[github-standin] ${req.method} ${req.url} failed: ${(error as Error)?.stack ?? String(error)}\n`);
      if (res.headersSent) return void res.destroy();
      res.writeHead(known?.status ?? 500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({ message: known?.message ?? 'Server Error', ...known?.extra, documentation_url: 'https://docs.github.com/rest' }),
      );
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req.url ?? '/', this.url);
    // Routes match the path as sent: URL would resolve `.` and `..` segments into another route.
    const path = (req.url ?? '/').split('?')[0];
    const token = /^(?:token|Bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    this.requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, token });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

    if (req.method === 'GET' && path === '/user') {
      const login = token && this.tokens.get(token);
      return login
        ? send(200, { login, id: 1, type: 'User' })
        : send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const codeload = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && codeload) {
      const tarball = this.repositories.get(`${codeload[1]}/${codeload[2]}`)?.tarballs[codeload[3]];
      if (!tarball) return notFound();
      const download: (typeof this.downloads)[number] = { repository: `${codeload[1]}/${codeload[2]}`, sha: codeload[3] };
      this.downloads.push(download);
      res.once('close', () => (download.finished = res.writableFinished));
      await this.tarballGate;
      res.writeHead(200, { 'content-type': 'application/x-gzip', 'content-length': String(tarball.length) });
      if (this.cutTarballs > 0) {
        this.cutTarballs -= 1;
        return void res.write(tarball.subarray(0, tarball.length >> 1), () => res.destroy());
      }
      return void res.end(tarball);
    }
    const standinCommit = /^\/_standin\/repos\/([^/]+)\/([^/]+)\/commits$/.exec(path);
    if (req.method === 'POST' && standinCommit) {
      const [, owner, name] = standinCommit;
      for (const [field, value] of [
        ['owner', owner],
        ['name', name],
      ]) {
        if (!isRepositoryName(value)) {
          throw new StandinError(422, 'Repository creation failed.', {
            errors: [
              {
                resource: 'Repository',
                code: 'custom',
                field,
                message: `${field} may only contain letters, digits, '-', '_' and '.', and is not '.' or '..'.`,
              },
            ],
          });
        }
      }
      const body = parseJson(await readBody(req), {}) as { branch?: unknown; message?: unknown; actions?: unknown };
      if (!isStringOrAbsent(body.branch) || !isStringOrAbsent(body.message))
        throw new StandinError(400, 'branch and message must be strings.');
      return send(
        201,
        await this.commit(`${owner}/${name}`, { branch: body.branch, message: body.message, actions: body.actions === true }),
      );
    }
    if (await this.routeCi(req, path, url, token, send)) return;
    const pulls = req.method === 'GET' ? this.pulls.route(path, url, this.url) : undefined;
    if (pulls) return send(pulls.status, pulls.body);
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)\/(contents|tarball|statuses|compare|commits)\/(.+)$/.exec(path);
    if (!repoMatch) return notFound();
    const [, owner, name, kind, rest] = repoMatch;
    const fullName = `${owner}/${name}`;
    const repository = this.repositories.get(fullName);
    if (!repository || (repository.private && !this.mayRead(token, fullName))) return notFound();

    if (req.method === 'GET' && kind === 'contents') {
      if (this.failContents > 0) {
        this.failContents -= 1;
        return send(502, { message: 'Server Error' });
      }
      const ref = url.searchParams.get('ref') ?? '';
      const file = decodePath(rest).replace(/\/$/, '');
      const content = repository.files[ref]?.[file];
      const listing = directoryListing(repository.files[ref] ?? {}, file, `${this.url}/repos/${fullName}/contents`, ref);
      if (content === undefined && listing.length > 0) return send(200, listing);
      if (content === undefined) return notFound();
      return send(200, {
        type: 'file',
        encoding: 'base64',
        size: Buffer.byteLength(content),
        name: file.split('/').pop(),
        path: file,
        content: Buffer.from(content).toString('base64'),
        sha: 'blobsha',
        url: `${this.url}/repos/${fullName}/contents/${file}?ref=${ref}`,
      });
    }
    if (req.method === 'GET' && kind === 'tarball') {
      if (this.failTarballs > 0) {
        this.failTarballs -= 1;
        return send(502, { message: 'Server Error' });
      }
      if (!repository.tarballs[rest]) return notFound();
      res.writeHead(302, { location: `${this.url}/_codeload/${fullName}/legacy.tar.gz/${rest}` });
      return void res.end();
    }
    if (req.method === 'GET' && kind === 'compare') {
      const [base, head, ...extra] = decodePath(rest).split('...');
      if (!base || !head || extra.length > 0) return notFound();
      const compared = this.compare(fullName, repository, base, head);
      return compared ? send(200, compared) : notFound();
    }
    if (req.method === 'GET' && kind === 'commits') {
      const ref = decodePath(rest).replace(/^(refs\/)?tags\//, '');
      const sha = repository.tags?.[ref] ?? repository.heads?.[ref] ?? (repository.tarballs[ref] ? ref : undefined);
      return sha
        ? send(200, { sha, url: `${this.url}/repos/${fullName}/commits/${sha}`, files: [] })
        : send(422, { message: `No commit found for SHA: ${ref}` });
    }
    if (req.method === 'POST' && kind === 'statuses') {
      if (!this.mayWrite(token, fullName)) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      const body = parseJson(await readBody(req)) as Omit<RecordedStatus, 'repository' | 'sha' | 'token'>;
      if (typeof body.state !== 'string')
        throw new StandinError(422, 'Validation Failed', { errors: [{ resource: 'Status', field: 'state', code: 'missing_field' }] });
      this.statuses.push({ repository: fullName, sha: rest, token, ...body });
      return send(201, { id: this.statuses.length, state: body.state, context: body.context ?? 'default', target_url: body.target_url });
    }
    return notFound();
  }

  /** A token that may read `repository`: a known personal token, or a live installation token of an installation that has it. */
  private mayRead(token: string | undefined, repository: string): boolean {
    if (token && this.tokens.has(token)) return true;
    const installation = this.ci.installationOf(token);
    return installation !== undefined && covers(installation, repository);
  }

  /** Writes (statuses, deployments): an installation token only for its installation's repositories; other tokens as before. */
  private mayWrite(token: string | undefined, repository: string): boolean {
    return !token?.startsWith('ghs_') || this.mayRead(token, repository);
  }

  /**
   * Check suites and runs, combined status, deployments and their statuses, the GitHub App's
   * endpoints (JWT-authenticated) and `GET /user/memberships/orgs/{org}`; true when it answered.
   */
  private async routeCi(
    req: IncomingMessage,
    path: string,
    url: URL,
    token: string | undefined,
    send: (status: number, body: unknown) => void,
  ): Promise<boolean> {
    const method = req.method ?? 'GET';
    const notFound = () => (send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }), true);
    const ci = this.ci;

    // The GitHub App: JWT-authenticated.
    const appRoute = /^\/app\/installations\/(\d+)(\/access_tokens)?$/.exec(path);
    const repoInstallation = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(path);
    if (appRoute || repoInstallation) {
      const problem = ci.verifyAppJwt(token);
      if (problem) return (send(401, { message: problem, documentation_url: 'https://docs.github.com/rest' }), true);
      const installation = appRoute
        ? ci.installations.get(Number(appRoute[1]))
        : ci.installationFor(`${repoInstallation![1]}/${repoInstallation![2]}`);
      if (!installation) return notFound();
      if (appRoute?.[2] && method === 'POST') {
        const issued = ci.issueToken(installation);
        return (
          send(201, {
            ...issued,
            permissions: installationJson(installation, ci.app!.id, this.url).permissions,
            repository_selection: 'selected',
          }),
          true
        );
      }
      if (method !== 'GET') return notFound();
      return (send(200, installationJson(installation, ci.app!.id, this.url)), true);
    }
    const membership = /^\/user\/memberships\/orgs\/([^/]+)$/.exec(path);
    if (membership && method === 'GET') {
      const login = token && this.tokens.get(token);
      if (!login) return (send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' }), true);
      const admins = ci.orgAdmins.get(membership[1]);
      if (!admins) return notFound();
      return (
        send(200, {
          state: 'active',
          role: admins.has(login) ? 'admin' : 'member',
          organization: { login: membership[1] },
          user: { login },
        }),
        true
      );
    }
    // `_standin`: install the App on an account (all its repositories), with a personal token of that GitHub user to prove it.
    if (method === 'POST' && path === '/_standin/installations') {
      const body = parseJson(await readBody(req), {}) as { account?: unknown };
      if (typeof body.account !== 'string' || !isRepositoryName(body.account))
        throw new StandinError(422, 'account must be a GitHub login.');
      const id = ci.nextId();
      ci.installations.set(id, { id, account: { login: body.account, type: 'User' }, repositories: [`${body.account}/*`] });
      const token = `ghp_${randomBytes(18).toString('hex')}`;
      this.tokens.set(token, body.account);
      return (send(201, { installationId: id, login: body.account, token }), true);
    }
    // `_standin`: complete a check suite; answers the check_suite webhook GitHub would deliver.
    const complete = /^\/_standin\/repos\/([^/]+)\/([^/]+)\/check-suites\/(\d+|latest)$/.exec(path);
    if (complete && method === 'POST') {
      // `latest`: the repository's newest suite not completed yet.
      const suite =
        complete[3] === 'latest'
          ? [...ci.suites]
              .reverse()
              .find((s) => s.status !== 'completed' && s.repository.toLowerCase() === `${complete[1]}/${complete[2]}`.toLowerCase())
          : ci.findSuite(Number(complete[3]));
      if (!suite || suite.repository.toLowerCase() !== `${complete[1]}/${complete[2]}`.toLowerCase()) return notFound();
      const body = parseJson(await readBody(req), {}) as { conclusion?: unknown };
      const conclusion = body.conclusion ?? 'success';
      if (typeof conclusion !== 'string') throw new StandinError(400, 'conclusion must be a string.');
      return (send(200, checkSuiteEvent(ci.completeSuite(suite, conclusion))), true);
    }

    const commitRoute = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/(check-suites|check-runs|status)$/.exec(path);
    const deploymentRoute = /^\/repos\/([^/]+)\/([^/]+)\/deployments(?:\/(\d+)\/statuses)?$/.exec(path);
    if (!commitRoute && !deploymentRoute) return false;
    const [, owner, name] = (commitRoute ?? deploymentRoute)!;
    const fullName = `${owner}/${name}`;
    const repository = this.repositories.get(fullName);
    if (!repository || (repository.private && !this.mayRead(token, fullName))) return notFound();

    if (commitRoute && method === 'GET') {
      const [, , , ref, kind] = commitRoute;
      const suites = ci.suitesOf(fullName, ref);
      if (kind === 'check-suites')
        return (send(200, { total_count: suites.length, check_suites: suites.map((s) => checkSuiteJson(s, this.url)) }), true);
      if (kind === 'check-runs') {
        const runs = suites.flatMap((s) => s.runs.map((r) => checkRunJson(s, r, this.url)));
        return (send(200, { total_count: runs.length, check_runs: runs }), true);
      }
      return (send(200, ci.combinedStatus(fullName, ref, this.statuses)), true);
    }
    if (deploymentRoute && !deploymentRoute[3]) {
      if (method === 'GET') {
        const sha = url.searchParams.get('sha');
        const environment = url.searchParams.get('environment');
        const found = ci.deployments.filter(
          (d) => d.repository === fullName && (!sha || d.sha === sha) && (!environment || d.environment === environment),
        );
        return (
          send(
            200,
            found.reverse().map((d) => deploymentJson(d, this.url)),
          ),
          true
        );
      }
      if (method !== 'POST') return notFound();
      if (!this.mayWrite(token, fullName)) return notFound();
      if (this.failDeployments) throw new StandinError(500, 'Server Error');
      const body = parseJson(await readBody(req)) as { ref?: unknown; environment?: unknown; description?: unknown };
      if (typeof body.ref !== 'string')
        throw new StandinError(422, 'Validation Failed', { errors: [{ resource: 'Deployment', field: 'ref', code: 'missing_field' }] });
      const sha = repository.files[body.ref] ? body.ref : undefined;
      if (!sha) throw new StandinError(422, `No ref found for: ${body.ref}`);
      const deployment = {
        id: ci.nextId(),
        repository: fullName,
        sha,
        ref: body.ref,
        environment: typeof body.environment === 'string' ? body.environment : 'production',
        description: typeof body.description === 'string' ? body.description : undefined,
        token,
        created_at: new Date().toISOString(),
        statuses: [],
      };
      ci.deployments.push(deployment);
      return (send(201, deploymentJson(deployment, this.url)), true);
    }
    const deployment = ci.deployments.find((d) => d.repository === fullName && d.id === Number(deploymentRoute![3]));
    if (!deployment) return notFound();
    if (method === 'GET')
      return (
        send(
          200,
          [...deployment.statuses].reverse().map((s) => deploymentStatusJson(deployment, s, this.url)),
        ),
        true
      );
    if (method !== 'POST' || !this.mayWrite(token, fullName)) return notFound();
    const body = parseJson(await readBody(req)) as { state?: unknown; description?: unknown; log_url?: unknown; environment_url?: unknown };
    const states = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];
    if (typeof body.state !== 'string' || !states.includes(body.state))
      throw new StandinError(422, 'Validation Failed', { errors: [{ resource: 'DeploymentStatus', field: 'state', code: 'invalid' }] });
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const status = {
      id: ci.nextId(),
      state: body.state,
      description: text(body.description),
      log_url: text(body.log_url),
      environment_url: text(body.environment_url),
      token,
      created_at: new Date().toISOString(),
    };
    deployment.statuses.push(status);
    return (send(201, deploymentStatusJson(deployment, status, this.url)), true);
  }
}

/** A JSON object (`empty` for an empty body); anything else is GitHub's 400 "Problems parsing JSON". */
function parseJson(text: string, empty?: object): Record<string, unknown> {
  if (text === '' && empty) return { ...empty };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StandinError(400, 'Problems parsing JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new StandinError(400, 'Problems parsing JSON: the body must be an object.');
  return value as Record<string, unknown>;
}

/** The contents API's answer for a directory: its entries at the commit (files and subdirectories). */
function directoryListing(files: Record<string, string>, dir: string, base: string, ref: string) {
  const prefix = dir === '' ? '' : `${dir}/`;
  const names = new Map<string, 'file' | 'dir'>();
  for (const path of Object.keys(files)) {
    if (!path.startsWith(prefix)) continue;
    const [first, ...more] = path.slice(prefix.length).split('/');
    names.set(first, more.length > 0 ? 'dir' : 'file');
  }
  return [...names].map(([name, type]) => ({
    type,
    name,
    path: `${prefix}${name}`,
    sha: 'blobsha',
    size: type === 'file' ? Buffer.byteLength(files[`${prefix}${name}`]) : 0,
    url: `${base}/${prefix}${name}?ref=${ref}`,
  }));
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new StandinError(400, `Malformed percent-encoding in ${JSON.stringify(path.slice(0, 200))}.`);
  }
}

function parseUrl(path: string, base: string): URL {
  try {
    return new URL(path, base);
  } catch {
    throw new StandinError(400, 'Malformed request URL.');
  }
}

const isStringOrAbsent = (value: unknown) => value === undefined || typeof value === 'string';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface ArchiveEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

export async function buildTarGz(entries: ArchiveEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => pack.on('end', resolve).on('error', reject));
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const body = type === 'file' ? Buffer.from(entry.content ?? '') : undefined;
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: entry.name, type, linkname: entry.linkname, mode: entry.mode, size: body?.length ?? 0 }, body ?? '', (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

export interface GithubTarballOptions {
  owner?: string;
  repo?: string;
  sha?: string;
  /** Files by path relative to the repository root; package.json is added when missing. */
  files?: Record<string, string>;
  /** Extra raw entries appended after the files (names are relative to the archive root). */
  extra?: ArchiveEntry[];
}

/** The top directory GitHub puts around a commit tarball. */
export function githubTopDir(options: GithubTarballOptions = {}): string {
  return `${options.owner ?? 'octo'}-${options.repo ?? 'app'}-${(options.sha ?? 'abc1234').slice(0, 7)}`;
}

export function githubTarball(options: GithubTarballOptions = {}): Promise<Buffer> {
  const top = githubTopDir(options);
  const files = { 'package.json': JSON.stringify({ name: options.repo ?? 'app', version: '1.0.0' }), ...options.files };
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) {
    const parts = path.split('/').slice(0, -1);
    parts.forEach((_, i) => dirs.add(parts.slice(0, i + 1).join('/')));
  }
  return buildTarGz([
    { name: `${top}/`, type: 'directory' },
    ...[...dirs].sort().map((dir): ArchiveEntry => ({ name: `${top}/${dir}/`, type: 'directory' })),
    ...Object.entries(files).map(([path, content]): ArchiveEntry => ({ name: `${top}/${path}`, content })),
    ...(options.extra ?? []),
  ]);
}

/** GitHub `push` payloads shaped like GitHub's published examples (trimmed to the fields used). */
export type GithubPushPayload = ReturnType<typeof githubPush>;

/** The compare API's `files`: what differs between two commits' files. */
function changedFiles(base: Record<string, string>, head: Record<string, string>): Array<{ filename: string; status: string }> {
  const names = [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
  return names
    .filter((name) => base[name] !== head[name])
    .map((name) => ({ filename: name, status: base[name] === undefined ? 'added' : head[name] === undefined ? 'removed' : 'modified' }));
}

export function githubPush(
  options: {
    owner?: string;
    repo?: string;
    sha?: string;
    ref?: string;
    defaultBranch?: string;
    deleted?: boolean;
    private?: boolean;
    message?: string;
    before?: string;
    forced?: boolean;
    pushedAt?: number;
  } = {},
) {
  const owner = options.owner ?? 'octo-org';
  const repo = options.repo ?? 'hello-world';
  const sha = options.sha ?? randomBytes(20).toString('hex');
  return {
    ref: options.ref ?? 'refs/heads/main',
    before: options.before ?? '0000000000000000000000000000000000000000',
    after: sha,
    created: false,
    deleted: options.deleted ?? false,
    forced: options.forced ?? false,
    compare: `https://github.com/${owner}/${repo}/compare/abc...def`,
    commits: [
      {
        id: sha,
        message: options.message ?? 'Update README.md',
        timestamp: '2026-11-22T06:00:00Z',
        author: { name: 'Octo Cat', email: 'octocat@github.com' },
      },
    ],
    head_commit: { id: sha, message: options.message ?? 'Update README.md', timestamp: '2026-11-22T06:00:00Z' },
    repository: {
      id: 186853002,
      name: repo,
      full_name: `${owner}/${repo}`,
      private: options.private ?? false,
      owner: { name: owner, login: owner, id: 21031067, type: 'Organization' },
      html_url: `https://github.com/${owner}/${repo}`,
      default_branch: options.defaultBranch ?? 'main',
      master_branch: options.defaultBranch ?? 'main',
      // Push payloads carry Unix seconds here (the REST API an ISO date).
      pushed_at: options.pushedAt ?? Math.floor(Date.now() / 1000),
    },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 1, type: 'User' },
  };
}
