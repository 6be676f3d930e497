/**
 * The stand-in's pull requests (docs/contract.md#preview-apps): `GET /repos/{o}/{r}/pulls?state=…`
 * and `GET /repos/{o}/{r}/pulls/{n}` answer them in GitHub's shape, and the tests open, push to
 * and close them, each answering the `pull_request` webhook GitHub would deliver.
 */
export interface StandinPullRequest {
  number: number;
  repository: string;
  state: 'open' | 'closed';
  merged: boolean;
  head: { sha: string; ref: string; repository: string };
  base: { ref: string };
  title: string;
  createdAt: string;
  updatedAt: string;
}

export class StandinPulls {
  readonly pulls: StandinPullRequest[] = [];

  /** Opens pull request `number` (the repository's next one by default). */
  open(repository: string, head: StandinPullRequest['head'], options: { base?: string; title?: string; number?: number } = {}) {
    const now = new Date().toISOString();
    const number = options.number ?? this.pulls.filter((p) => p.repository === repository).length + 1;
    const pull: StandinPullRequest = {
      number,
      repository,
      state: 'open',
      merged: false,
      head,
      base: { ref: options.base ?? 'main' },
      title: options.title ?? `Change ${number}`,
      createdAt: now,
      updatedAt: now,
    };
    this.pulls.push(pull);
    return pull;
  }

  find(repository: string, number: number): StandinPullRequest | undefined {
    return this.pulls.find((p) => p.repository.toLowerCase() === repository.toLowerCase() && p.number === number);
  }

  /** A new head; answers the previous one (`synchronize`'s `before`). */
  push(repository: string, number: number, sha: string): string {
    const pull = this.must(repository, number);
    const before = pull.head.sha;
    pull.head = { ...pull.head, sha };
    pull.updatedAt = new Date().toISOString();
    return before;
  }

  close(repository: string, number: number, merged = false): StandinPullRequest {
    const pull = this.must(repository, number);
    pull.state = 'closed';
    pull.merged = merged;
    pull.updatedAt = new Date().toISOString();
    return pull;
  }

  reopen(repository: string, number: number): StandinPullRequest {
    const pull = this.must(repository, number);
    pull.state = 'open';
    pull.updatedAt = new Date().toISOString();
    return pull;
  }

  private must(repository: string, number: number): StandinPullRequest {
    const pull = this.find(repository, number);
    if (!pull) throw new Error(`no pull request #${number} of ${repository} on the GitHub stand-in`);
    return pull;
  }

  /** `GET …/pulls` and `GET …/pulls/{n}`; undefined when the path is neither. */
  route(path: string, url: URL, baseUrl: string): { status: number; body: unknown } | undefined {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?$/.exec(path);
    if (!match) return undefined;
    const repository = `${match[1]}/${match[2]}`;
    if (match[3]) {
      const pull = this.find(repository, Number(match[3]));
      return pull ? { status: 200, body: pullJson(pull, baseUrl) } : { status: 404, body: { message: 'Not Found' } };
    }
    const state = url.searchParams.get('state') ?? 'open';
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const listed = this.pulls
      .filter((p) => p.repository.toLowerCase() === repository.toLowerCase() && (state === 'all' || p.state === state))
      .sort((a, b) => b.number - a.number)
      .slice((page - 1) * perPage, page * perPage);
    return { status: 200, body: listed.map((p) => pullJson(p, baseUrl)) };
  }
}

/** A pull request as GitHub's REST API answers it (the fields the product reads, and a few more). */
export function pullJson(pull: StandinPullRequest, baseUrl = 'https://api.github.com') {
  const [owner, repo] = pull.repository.split('/');
  const [headOwner, headRepo] = pull.head.repository.split('/');
  const repoJson = (o: string, r: string) => ({
    name: r,
    full_name: `${o}/${r}`,
    owner: { login: o, type: 'Organization' },
    private: false,
    html_url: `https://github.com/${o}/${r}`,
    default_branch: 'main',
  });
  return {
    url: `${baseUrl}/repos/${pull.repository}/pulls/${pull.number}`,
    html_url: `https://github.com/${pull.repository}/pull/${pull.number}`,
    number: pull.number,
    state: pull.state,
    title: pull.title,
    merged: pull.merged,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.state === 'closed' ? pull.updatedAt : null,
    head: { label: `${headOwner}:${pull.head.ref}`, ref: pull.head.ref, sha: pull.head.sha, repo: repoJson(headOwner, headRepo) },
    base: { label: `${owner}:${pull.base.ref}`, ref: pull.base.ref, repo: repoJson(owner, repo) },
    user: { login: headOwner, type: 'User' },
  };
}

/** The `pull_request` webhook of `action` on `pull` (`before`: synchronize's previous head). */
export function pullRequestEvent(action: string, pull: StandinPullRequest, options: { before?: string; installation?: number } = {}) {
  const json = pullJson(pull);
  return {
    action,
    number: pull.number,
    ...(options.before && { before: options.before, after: pull.head.sha }),
    pull_request: json,
    repository: json.base.repo,
    sender: { login: 'octocat', id: 1, type: 'User' },
    ...(options.installation !== undefined && { installation: { id: options.installation } }),
  };
}
