import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A local GitHub-shaped HTTP server for the few REST endpoints the product uses, with response
 * shapes from GitHub's published examples: GET /user, contents, tarball (302 to a codeload-like
 * URL, as GitHub does), commit statuses. Private repositories answer 404 without a token that
 * may read them, as GitHub does.
 */
export interface FakeRepository {
  private?: boolean;
  /** Files at each commit, for the contents API (package.json, .travis.yml). */
  files: Record<string, Record<string, string>>;
  /** The tar.gz served for each commit. */
  tarballs: Record<string, Buffer>;
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
  /** Fail the next N tarball downloads with 502 (retry tests). */
  failTarballs = 0;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const token = /^(?:token|Bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    this.requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, token });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

    if (req.method === 'GET' && url.pathname === '/user') {
      const login = token && this.tokens.get(token);
      return login ? send(200, { login, id: 1, type: 'User' }) : send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    const codeload = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && codeload) {
      const tarball = this.repositories.get(`${codeload[1]}/${codeload[2]}`)?.tarballs[codeload[3]];
      if (!tarball) return notFound();
      res.writeHead(200, { 'content-type': 'application/x-gzip', 'content-length': String(tarball.length) });
      return void res.end(tarball);
    }
    const repoMatch = /^\/repos\/([^/]+)\/([^/]+)\/(contents|tarball|statuses)\/(.+)$/.exec(url.pathname);
    if (!repoMatch) return notFound();
    const [, owner, name, kind, rest] = repoMatch;
    const fullName = `${owner}/${name}`;
    const repository = this.repositories.get(fullName);
    if (!repository || (repository.private && !(token && this.tokens.has(token)))) return notFound();

    if (req.method === 'GET' && kind === 'contents') {
      const ref = url.searchParams.get('ref') ?? '';
      const path = decodeURIComponent(rest);
      const content = repository.files[ref]?.[path];
      if (content === undefined) return notFound();
      return send(200, {
        type: 'file', encoding: 'base64', size: Buffer.byteLength(content), name: path.split('/').pop(), path,
        content: Buffer.from(content).toString('base64'), sha: 'blobsha',
        url: `${this.url}/repos/${fullName}/contents/${path}?ref=${ref}`,
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
    if (req.method === 'POST' && kind === 'statuses') {
      const body = JSON.parse(await readBody(req));
      this.statuses.push({ repository: fullName, sha: rest, token, ...body });
      return send(201, { id: this.statuses.length, state: body.state, context: body.context ?? 'default', target_url: body.target_url });
    }
    return notFound();
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
