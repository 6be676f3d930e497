import { createPublicKey, randomBytes, verify } from 'node:crypto';

/**
 * What the GitHub stand-in knows beyond repositories and commits: check suites and runs, commit
 * statuses as GitHub combines them, GitHub Deployments and their statuses, and a GitHub App
 * (App JWTs, installations, installation tokens). Shapes follow GitHub's REST API description
 * (`api.github.com` OpenAPI) and its webhook examples, trimmed to the fields a client reads.
 */

export interface StandinCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  html_url: string;
}

export interface StandinCheckSuite {
  id: number;
  repository: string;
  head_sha: string;
  head_branch: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  /** The GitHub App the suite belongs to (GitHub Actions is app 15368, slug `github-actions`). */
  app: { id: number; slug: string; name: string };
  created_at: string;
  updated_at: string;
  runs: StandinCheckRun[];
}

export interface StandinDeploymentStatus {
  id: number;
  state: string;
  description?: string;
  log_url?: string;
  environment_url?: string;
  token?: string;
  created_at: string;
}

export interface StandinDeployment {
  id: number;
  repository: string;
  sha: string;
  ref: string;
  environment: string;
  description?: string;
  token?: string;
  created_at: string;
  statuses: StandinDeploymentStatus[];
}

export interface StandinInstallation {
  id: number;
  account: { login: string; type: 'User' | 'Organization' };
  /** `owner/name` of each repository the installation may reach; `owner/*`: all of that owner's. */
  repositories: string[];
}

/** Whether the installation reaches `repository` (GitHub compares names without case). */
export function covers(installation: StandinInstallation, repository: string): boolean {
  const name = repository.toLowerCase();
  return installation.repositories.some(
    (r) => r.toLowerCase() === name || (r.endsWith('/*') && name.startsWith(r.slice(0, -1).toLowerCase())),
  );
}

export const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions' };

/** The stand-in's CI, deployments and App state, with helpers the tests and `_standin` routes use. */
export class StandinCi {
  readonly suites: StandinCheckSuite[] = [];
  readonly deployments: StandinDeployment[] = [];
  readonly installations = new Map<number, StandinInstallation>();
  /** Installation token → installation id and expiry. */
  readonly installationTokens = new Map<string, { installation: number; expiresAt: number }>();
  /** Organization → logins of its admins (`GET /user/memberships/orgs/{org}`). */
  readonly orgAdmins = new Map<string, Set<string>>();
  /** The GitHub App whose JWTs the stand-in takes: its id and public key (PEM). */
  app?: { id: number; slug: string; publicKey: string };
  private ids = 1000;

  nextId(): number {
    return ++this.ids;
  }

  /** A check suite on a commit; `runs` by name (each with its own status and conclusion). */
  addSuite(
    repository: string,
    sha: string,
    options: {
      app?: StandinCheckSuite['app'];
      status?: StandinCheckSuite['status'];
      conclusion?: string | null;
      runs?: Array<Partial<StandinCheckRun> & { name: string }>;
      createdAt?: string;
    } = {},
  ): StandinCheckSuite {
    const now = options.createdAt ?? new Date().toISOString();
    const id = this.nextId();
    const suite: StandinCheckSuite = {
      id,
      repository,
      head_sha: sha,
      head_branch: 'main',
      status: options.status ?? 'queued',
      conclusion: options.conclusion ?? null,
      app: options.app ?? ACTIONS_APP,
      created_at: now,
      updated_at: now,
      runs: (options.runs ?? []).map((run) => {
        const runId = this.nextId();
        return {
          status: 'queued',
          conclusion: null,
          html_url: `https://github.com/${repository}/actions/runs/${id}/job/${runId}`,
          ...run,
          id: runId,
        };
      }),
    };
    this.suites.push(suite);
    return suite;
  }

  /** Completes a suite (and every run of it that has no conclusion yet) with `conclusion`. */
  completeSuite(suite: StandinCheckSuite, conclusion: string): StandinCheckSuite {
    suite.status = 'completed';
    suite.conclusion = conclusion;
    suite.updated_at = new Date().toISOString();
    for (const run of suite.runs) {
      if (run.status !== 'completed') Object.assign(run, { status: 'completed', conclusion });
    }
    return suite;
  }

  suitesOf(repository: string, sha: string): StandinCheckSuite[] {
    return this.suites.filter((s) => s.repository.toLowerCase() === repository.toLowerCase() && s.head_sha === sha);
  }

  findSuite(id: number): StandinCheckSuite | undefined {
    return this.suites.find((s) => s.id === id);
  }

  /** The repositories an installation token may read, or undefined when it is not a live installation token. */
  installationOf(token: string | undefined): StandinInstallation | undefined {
    const issued = token ? this.installationTokens.get(token) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) return undefined;
    return this.installations.get(issued.installation);
  }

  installationFor(repository: string): StandinInstallation | undefined {
    return [...this.installations.values()].find((i) => covers(i, repository));
  }

  issueToken(installation: StandinInstallation): { token: string; expires_at: string } {
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    const expiresAt = Date.now() + 60 * 60 * 1000;
    this.installationTokens.set(token, { installation: installation.id, expiresAt });
    return { token, expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }

  /**
   * An App JWT (RS256, `iss` the App id, `iat`/`exp` at most 10 minutes apart, not expired),
   * verified with the App's public key as GitHub does; the reason when it does not verify.
   */
  verifyAppJwt(jwt: string | undefined): string | undefined {
    if (!this.app) return 'no GitHub App is registered on this stand-in';
    const parts = jwt?.split('.') ?? [];
    if (parts.length !== 3) return 'A JSON web token could not be decoded';
    let header: { alg?: string };
    let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as typeof header;
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return 'A JSON web token could not be decoded';
    }
    if (header.alg !== 'RS256') return "'alg' must be RS256";
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      createPublicKey(this.app.publicKey),
      Buffer.from(parts[2], 'base64url'),
    );
    if (!signed) return 'A JSON web token could not be decoded';
    if (String(claims.iss) !== String(this.app.id)) return "'Issuer' claim ('iss') must be an Integer";
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number') return "'Expiration time' claim ('exp') must be a numeric value";
    if (claims.exp <= now) return "'Expiration time' claim ('exp') is too far in the past";
    if (claims.exp - claims.iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
    if (claims.iat > now + 60) return "'Issued at' claim ('iat') must be an Integer representing a time in the past";
    return undefined;
  }

  /** Combined status of a commit (`GET …/commits/{ref}/status`) from the statuses posted to it, latest per context. */
  combinedStatus(
    repository: string,
    sha: string,
    posted: Array<{ repository: string; sha: string; state: string; context?: string; target_url?: string; description?: string }>,
  ) {
    const latest = new Map<string, (typeof posted)[number]>();
    for (const status of posted)
      if (status.repository.toLowerCase() === repository.toLowerCase() && status.sha === sha)
        latest.set(status.context ?? 'default', status);
    const statuses = [...latest.values()].reverse().map((s, i) => ({
      id: i + 1,
      state: s.state,
      context: s.context ?? 'default',
      description: s.description ?? null,
      target_url: s.target_url ?? null,
    }));
    const states = statuses.map((s) => s.state);
    const state = states.some((s) => s === 'failure' || s === 'error')
      ? 'failure'
      : states.length === 0 || states.some((s) => s === 'pending')
        ? 'pending'
        : 'success';
    return { state, statuses, sha, total_count: statuses.length, repository: { full_name: repository } };
  }
}

/** GitHub's REST shape of a check suite (`GET …/check-suites`). */
export function checkSuiteJson(suite: StandinCheckSuite, url: string) {
  return {
    id: suite.id,
    node_id: `CS_${suite.id}`,
    head_branch: suite.head_branch,
    head_sha: suite.head_sha,
    status: suite.status,
    conclusion: suite.conclusion,
    url: `${url}/repos/${suite.repository}/check-suites/${suite.id}`,
    before: null,
    after: suite.head_sha,
    pull_requests: [],
    app: { ...suite.app, owner: { login: 'github', type: 'Organization' } },
    created_at: suite.created_at,
    updated_at: suite.updated_at,
    latest_check_runs_count: suite.runs.length,
    check_runs_url: `${url}/repos/${suite.repository}/check-suites/${suite.id}/check-runs`,
  };
}

/** GitHub's REST shape of a check run (`GET …/check-runs`). */
export function checkRunJson(suite: StandinCheckSuite, run: StandinCheckRun, url: string) {
  return {
    id: run.id,
    node_id: `CR_${run.id}`,
    head_sha: suite.head_sha,
    external_id: '',
    url: `${url}/repos/${suite.repository}/check-runs/${run.id}`,
    html_url: run.html_url,
    details_url: run.html_url,
    status: run.status,
    conclusion: run.conclusion,
    started_at: suite.created_at,
    completed_at: run.status === 'completed' ? suite.updated_at : null,
    output: { title: null, summary: null, text: null, annotations_count: 0 },
    name: run.name,
    check_suite: { id: suite.id },
    app: { ...suite.app, owner: { login: 'github', type: 'Organization' } },
    pull_requests: [],
  };
}

export function deploymentJson(deployment: StandinDeployment, url: string) {
  return {
    url: `${url}/repos/${deployment.repository}/deployments/${deployment.id}`,
    id: deployment.id,
    node_id: `DE_${deployment.id}`,
    sha: deployment.sha,
    ref: deployment.ref,
    task: 'deploy',
    payload: {},
    original_environment: deployment.environment,
    environment: deployment.environment,
    description: deployment.description ?? null,
    creator: { login: 'deploy-webhooks', type: 'Bot' },
    created_at: deployment.created_at,
    updated_at: deployment.created_at,
    statuses_url: `${url}/repos/${deployment.repository}/deployments/${deployment.id}/statuses`,
    repository_url: `${url}/repos/${deployment.repository}`,
    transient_environment: false,
    production_environment: false,
  };
}

export function deploymentStatusJson(deployment: StandinDeployment, status: StandinDeploymentStatus, url: string) {
  return {
    url: `${url}/repos/${deployment.repository}/deployments/${deployment.id}/statuses/${status.id}`,
    id: status.id,
    node_id: `DES_${status.id}`,
    state: status.state,
    creator: { login: 'deploy-webhooks', type: 'Bot' },
    description: status.description ?? '',
    environment: deployment.environment,
    target_url: status.log_url ?? '',
    log_url: status.log_url ?? '',
    environment_url: status.environment_url ?? '',
    created_at: status.created_at,
    updated_at: status.created_at,
    deployment_url: `${url}/repos/${deployment.repository}/deployments/${deployment.id}`,
    repository_url: `${url}/repos/${deployment.repository}`,
  };
}

export function installationJson(installation: StandinInstallation, appId: number, url: string) {
  return {
    id: installation.id,
    app_id: appId,
    target_type: installation.account.type,
    account: { login: installation.account.login, id: installation.id + 7, type: installation.account.type },
    repository_selection: 'selected',
    access_tokens_url: `${url}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${url}/installation/repositories`,
    permissions: { checks: 'read', contents: 'read', deployments: 'write', statuses: 'write', metadata: 'read' },
    events: ['push', 'check_suite', 'check_run', 'status'],
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
  };
}

/** Webhook payloads GitHub delivers for CI (trimmed from `@octokit/webhooks-examples`). */
export function checkSuiteEvent(suite: StandinCheckSuite, options: { action?: string; installation?: number } = {}) {
  const [owner, name] = suite.repository.split('/');
  return {
    action: options.action ?? (suite.status === 'completed' ? 'completed' : 'requested'),
    check_suite: {
      id: suite.id,
      head_branch: suite.head_branch,
      head_sha: suite.head_sha,
      status: suite.status,
      conclusion: suite.conclusion,
      app: suite.app,
      created_at: suite.created_at,
      updated_at: suite.updated_at,
      latest_check_runs_count: suite.runs.length,
      pull_requests: [],
    },
    ...eventContext(owner, name, options.installation),
  };
}

export function checkRunEvent(suite: StandinCheckSuite, run: StandinCheckRun, options: { installation?: number } = {}) {
  const [owner, name] = suite.repository.split('/');
  return {
    action: run.status === 'completed' ? 'completed' : 'created',
    check_run: {
      id: run.id,
      name: run.name,
      head_sha: suite.head_sha,
      status: run.status,
      conclusion: run.conclusion,
      html_url: run.html_url,
      details_url: run.html_url,
      check_suite: {
        id: suite.id,
        head_branch: suite.head_branch,
        head_sha: suite.head_sha,
        status: suite.status,
        conclusion: suite.conclusion,
        app: suite.app,
      },
      app: suite.app,
    },
    ...eventContext(owner, name, options.installation),
  };
}

export function statusEvent(
  repository: string,
  sha: string,
  status: { state: string; context: string; target_url?: string; description?: string },
  options: { installation?: number } = {},
) {
  const [owner, name] = repository.split('/');
  return {
    id: Math.floor(Math.random() * 1e9),
    sha,
    name: repository,
    target_url: status.target_url ?? null,
    context: status.context,
    description: status.description ?? null,
    state: status.state,
    commit: { sha },
    branches: [{ name: 'main', commit: { sha } }],
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    ...eventContext(owner, name, options.installation),
  };
}

function eventContext(owner: string, name: string, installation?: number) {
  return {
    repository: {
      id: 186853002,
      name,
      full_name: `${owner}/${name}`,
      private: false,
      default_branch: 'main',
      owner: { login: owner, id: 21031067, type: 'Organization' },
      html_url: `https://github.com/${owner}/${name}`,
    },
    sender: { login: 'octocat', id: 1, type: 'User' },
    ...(installation !== undefined && {
      installation: { id: installation, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${installation}` },
    }),
  };
}
