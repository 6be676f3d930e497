import { Inject, Injectable } from '@nestjs/common';
import { Octokit } from 'octokit';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** GitHub's answer to "who owns this token": the login, or why not. */
export type GithubIdentity = { ok: true; login: string } | { ok: false; rejected: boolean; status?: number; message: string };

export interface GithubOptions {
  apiUrl: string;
}
export const GITHUB_OPTIONS = Symbol('GITHUB_OPTIONS');

/** A GitHub answer that is not a success, classified for the workflow's retry decisions. */
export class GithubError extends Error {
  constructor(message: string, readonly status: number | undefined, readonly retryable: boolean) {
    super(message);
    this.name = 'GithubError';
  }
}

/**
 * The only code that talks to GitHub's REST API (or GitHub Enterprise at `apiUrl`).
 * Retries belong to the deployment workflow, so octokit's own retry and throttling are off.
 */
@Injectable()
export class GithubClient {
  constructor(@Inject(GITHUB_OPTIONS) private readonly options: GithubOptions) {}

  private octokit(token?: string): Octokit {
    return new Octokit({
      auth: token,
      baseUrl: this.options.apiUrl.replace(/\/$/, ''),
      userAgent: 'deploy-webhooks',
      retry: { enabled: false },
      throttle: { enabled: false },
      request: { timeout: 30_000 },
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  }

  /** `GET /user` with the token: whose it is (GitHub authorization pairs accounts with it). */
  async identify(token: string): Promise<GithubIdentity> {
    try {
      const { data } = await this.octokit(token).rest.users.getAuthenticated();
      return { ok: true, login: data.login };
    } catch (error) {
      const status = (error as { status?: number }).status;
      // 401/403/404: GitHub answered and said no. No status or 5xx: GitHub did not answer properly.
      const rejected = status !== undefined && status >= 400 && status < 500 && status !== 429;
      return { ok: false, rejected, status, message: (error as Error).message };
    }
  }

  /** A file's text at a commit, or null when the file (or the repository, for this token) does not exist. */
  async fileAt(repository: string, path: string, ref: string, token?: string): Promise<string | null> {
    const [owner, repo] = repository.split('/');
    try {
      const { data } = await this.octokit(token).rest.repos.getContent({ owner, repo, path, ref });
      if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return null;
      return Buffer.from(data.content, (data.encoding as BufferEncoding) || 'base64').toString('utf8');
    } catch (error) {
      if ((error as { status?: number }).status === 404) return null;
      throw classify(error, `reading ${path} of ${repository}@${ref}`);
    }
  }

  /** The commit's tarball as a stream (GitHub redirects to codeload; followed here). */
  async tarball(repository: string, ref: string, token?: string, signal?: AbortSignal): Promise<Readable> {
    const [owner, repo] = repository.split('/');
    try {
      const response = await this.octokit(token).request('GET /repos/{owner}/{repo}/tarball/{ref}', {
        owner,
        repo,
        ref,
        request: { parseSuccessResponseBody: false, signal },
      });
      return Readable.fromWeb(response.data as unknown as WebReadableStream);
    } catch (error) {
      throw classify(error, `downloading the tarball of ${repository}@${ref}`);
    }
  }

  /**
   * Where `head` stands from `base` (GitHub's compare API, `GET /repos/{o}/{r}/compare/{base}...{head}`):
   * `ahead` (head descends from base), `behind`, `identical` or `diverged` (a forced push).
   */
  async compare(repository: string, base: string, head: string, token?: string): Promise<'ahead' | 'behind' | 'identical' | 'diverged'> {
    const [owner, repo] = repository.split('/');
    try {
      const { data } = await this.octokit(token).rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${head}`, per_page: 1 });
      return data.status;
    } catch (error) {
      throw classify(error, `comparing ${base.slice(0, 7)}...${head.slice(0, 7)} of ${repository}`);
    }
  }

  async setCommitStatus(repository: string, sha: string, status: { state: 'pending' | 'success' | 'failure' | 'error'; description: string; targetUrl?: string }, token: string): Promise<void> {
    const [owner, repo] = repository.split('/');
    try {
      await this.octokit(token).rest.repos.createCommitStatus({
        owner,
        repo,
        sha,
        state: status.state,
        description: status.description.slice(0, 140),
        target_url: status.targetUrl,
        context: 'deploy-webhooks',
      });
    } catch (error) {
      throw classify(error, `setting the commit status of ${repository}@${sha}`);
    }
  }
}

function classify(error: unknown, doing: string): GithubError {
  const status = (error as { status?: number }).status;
  const retryable = status === undefined || status >= 500 || status === 429 || status === 403;
  return new GithubError(`GitHub failed ${doing}: ${status ?? ''} ${(error as Error).message}`.replace(/\s+/g, ' ').trim(), status, retryable);
}
