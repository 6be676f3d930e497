import { Inject, Injectable } from '@nestjs/common';
import { Octokit } from 'octokit';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { GithubAppSettings } from './github-app';

/** GitHub's answer to "who owns this token": the login, or why not. */
export type GithubIdentity = { ok: true; login: string } | { ok: false; rejected: boolean; status?: number; message: string };

export interface GithubOptions {
  apiUrl: string;
  /** The GitHub App, when GITHUB_APP_ID is set: installation tokens instead of personal ones. */
  app?: GithubAppSettings;
}
export const GITHUB_OPTIONS = Symbol('GITHUB_OPTIONS');

/** A GitHub answer that is not a success, classified for the workflow's retry decisions. */
export class GithubError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
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

  /** The token owner's role in `org` (`GET /user/memberships/orgs/{org}`): `admin`, `member`, or null when not an active member. */
  async orgRole(org: string, token: string): Promise<'admin' | 'member' | null> {
    try {
      const { data } = await this.octokit(token).rest.orgs.getMembershipForAuthenticatedUser({ org });
      return data.state === 'active' ? (data.role as 'admin' | 'member') : null;
    } catch (error) {
      if ([403, 404].includes((error as { status?: number }).status ?? 0)) return null;
      throw classify(error, `reading the membership in ${org}`);
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
      return Readable.fromWeb(response.data as WebReadableStream);
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
      const { data } = await this.octokit(token).rest.repos.compareCommitsWithBasehead({
        owner,
        repo,
        basehead: `${base}...${head}`,
        per_page: 1,
      });
      return data.status;
    } catch (error) {
      throw classify(error, `comparing ${base.slice(0, 7)}...${head.slice(0, 7)} of ${repository}`);
    }
  }

  /**
   * The paths changed from `base` to `head` (the compare API's `files`); undefined when GitHub
   * lists no more than it shows (300 files) or cannot compare them.
   */
  async changedFiles(repository: string, base: string, head: string, token?: string): Promise<string[] | undefined> {
    const [owner, repo] = repository.split('/');
    try {
      const { data } = await this.octokit(token).rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${base}...${head}` });
      const files = data.files ?? [];
      return files.length >= 300
        ? undefined
        : files.flatMap((file) => [file.filename, ...(file.previous_filename ? [file.previous_filename] : [])]);
    } catch (error) {
      throw classify(error, `comparing ${base.slice(0, 7)}...${head.slice(0, 7)} of ${repository}`);
    }
  }

  /** The commit a ref (a tag, a branch) names: `GET /repos/{o}/{r}/commits/{ref}`. */
  async commitOf(repository: string, ref: string, token?: string): Promise<string> {
    const [owner, repo] = repository.split('/');
    try {
      const { data } = await this.octokit(token).rest.repos.getCommit({ owner, repo, ref, per_page: 1 });
      return data.sha;
    } catch (error) {
      throw classify(error, `reading the commit of ${ref} in ${repository}`);
    }
  }

  async setCommitStatus(
    repository: string,
    sha: string,
    status: { state: 'pending' | 'success' | 'failure' | 'error'; description: string; targetUrl?: string },
    token: string,
  ): Promise<void> {
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

  /**
   * Everything CI says about a commit (docs/contract.md#github-checks): its check suites, its check runs and its
   * combined commit status (`GET …/commits/{ref}/check-suites`, `/check-runs`, `/status`).
   */
  async ciState(repository: string, sha: string, token?: string): Promise<CommitCi> {
    const [owner, repo] = repository.split('/');
    const octokit = this.octokit(token);
    try {
      const [suites, runs, combined] = await Promise.all([
        octokit.paginate(octokit.rest.checks.listSuitesForRef, { owner, repo, ref: sha, per_page: 100 }),
        octokit.paginate(octokit.rest.checks.listForRef, { owner, repo, ref: sha, per_page: 100, filter: 'latest' }),
        octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha, per_page: 100 }),
      ]);
      return {
        suites: suites.map((s) => ({
          id: s.id,
          status: s.status ?? 'queued',
          conclusion: s.conclusion ?? null,
          appId: s.app?.id,
          appName: s.app?.name ?? s.app?.slug,
          createdAt: s.created_at ?? undefined,
          runs: s.latest_check_runs_count,
        })),
        runs: runs.map((r) => ({
          name: r.name,
          status: r.status,
          conclusion: r.conclusion ?? null,
          url: r.html_url ?? r.details_url ?? undefined,
          suiteId: r.check_suite?.id,
        })),
        statuses: combined.data.statuses.map((c) => ({ context: c.context, state: c.state, url: c.target_url ?? undefined })),
      };
    } catch (error) {
      throw classify(error, `reading the checks of ${repository}@${sha}`);
    }
  }

  /** Names of the files in a directory at a commit (empty when there is no such directory). */
  async filesIn(repository: string, dir: string, ref: string, token?: string): Promise<string[]> {
    const [owner, repo] = repository.split('/');
    try {
      const { data } = await this.octokit(token).rest.repos.getContent({ owner, repo, path: dir, ref });
      return Array.isArray(data) ? data.filter((entry) => entry.type === 'file').map((entry) => entry.name) : [];
    } catch (error) {
      if ((error as { status?: number }).status === 404) return [];
      throw classify(error, `listing ${dir} of ${repository}@${ref}`);
    }
  }

  /** A GitHub deployment of `sha` to `environment` (docs/contract.md#github-deployments); answers its id. CI was gated already: no required contexts. */
  async createDeployment(
    repository: string,
    deployment: { sha: string; environment: string; description: string },
    token: string,
  ): Promise<number> {
    const [owner, repo] = repository.split('/');
    try {
      const { data } = await this.octokit(token).rest.repos.createDeployment({
        owner,
        repo,
        ref: deployment.sha,
        environment: deployment.environment,
        description: deployment.description.slice(0, 140),
        auto_merge: false,
        required_contexts: [],
        production_environment: false,
      });
      if (!('id' in data)) throw new GithubError(`GitHub did not create the deployment: ${data.message ?? 'no id'}`, 202, false);
      return data.id;
    } catch (error) {
      throw error instanceof GithubError ? error : classify(error, `creating a deployment of ${repository}@${deployment.sha}`);
    }
  }

  /** One pull request: `GET /repos/{o}/{r}/pulls/{n}`. */
  async pullRequest(repository: string, number: number, token?: string): Promise<PullRequestSummary> {
    const [owner, repo] = repository.split('/');
    try {
      const { data } = await this.octokit(token).rest.pulls.get({ owner, repo, pull_number: number });
      return {
        number: data.number,
        state: data.state === 'open' ? 'open' : 'closed',
        merged: data.merged === true,
        headSha: data.head.sha,
      };
    } catch (error) {
      throw classify(error, `reading pull request #${number} of ${repository}`);
    }
  }

  async createDeploymentStatus(
    repository: string,
    deploymentId: number,
    status: { state: GithubDeploymentState; description: string; logUrl?: string; environmentUrl?: string },
    token: string,
  ): Promise<void> {
    const [owner, repo] = repository.split('/');
    try {
      await this.octokit(token).rest.repos.createDeploymentStatus({
        owner,
        repo,
        deployment_id: deploymentId,
        state: status.state,
        description: status.description.slice(0, 140),
        log_url: status.logUrl,
        environment_url: status.environmentUrl,
        auto_inactive: status.state === 'success',
      });
    } catch (error) {
      throw classify(error, `setting deployment ${deploymentId}'s status on ${repository}`);
    }
  }
}

/** A pull request as the previews read it (docs/contract.md#preview-apps). */
export interface PullRequestSummary {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string;
}

export type GithubDeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

/** A commit's check suites, check runs and commit statuses, as the CI gate reads them. */
export interface CommitCi {
  suites: Array<{
    id: number;
    status: string;
    conclusion: string | null;
    appId?: number;
    appName?: string;
    createdAt?: string;
    runs?: number;
  }>;
  runs: Array<{ name: string; status: string; conclusion: string | null; url?: string; suiteId?: number }>;
  statuses: Array<{ context: string; state: string; url?: string }>;
}

function classify(error: unknown, doing: string): GithubError {
  const status = (error as { status?: number }).status;
  const retryable = status === undefined || status >= 500 || status === 429 || status === 403;
  return new GithubError(
    `GitHub failed ${doing}: ${status ?? ''} ${(error as Error).message}`.replace(/\s+/g, ' ').trim(),
    status,
    retryable,
  );
}
