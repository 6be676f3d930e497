import { ApiError, Errors } from '../errors';
import { canonicalRepository, isRepositoryName, withoutGitSuffix } from '../github/names';

export { isRepositoryName };

/**
 * Recognises a webhook delivery (docs/contract.md#webhook-intake): provider from headers first, then from the
 * payload's shape. Pure: no I/O, so it is unit-tested and fuzzed directly.
 */
export type Headers = Record<string, string | string[] | undefined>;

export interface RepositoryRef {
  owner: string;
  /** Without a trailing `.git` or `.` (GitHub's name for the same repository); case as sent. */
  name: string;
  fullName: string; // owner/name
}

export interface GithubPush {
  kind: 'github_push';
  delivery?: string;
  repository: RepositoryRef & { defaultBranch?: string; private: boolean };
  ref: string;
  branch?: string; // set for branch pushes, undefined for tags
  /** Set for tag pushes (`refs/tags/<tag>`). */
  tag?: string;
  deleted: boolean;
  /** `after`: the new head of the ref (for an annotated tag, the tag object). */
  sha: string;
  /** The commit the push deploys: `after`, or for a tag `head_commit.id` (an annotated tag's commit). */
  commit: string;
  /** Paths added, modified or removed by the payload's commits; undefined when it lists none or too few (GitHub lists at most 20). */
  files?: string[];
  /** The branch's head before this push (all zeros for a new branch): the release line's ancestry chain. */
  before?: string;
  /** `repository.pushed_at` (ISO): a forced push's order in the release line. */
  pushedAt?: string;
  pusher?: string;
  message?: string;
}

export interface TravisBuild {
  kind: 'travis';
  repository: RepositoryRef;
  sha: string;
  branch?: string;
  /** A pull request build: it tests a merge that was never pushed, so it never deploys. */
  pullRequest: boolean;
  buildId?: number;
  statusMessage: string;
  passed: boolean;
  finished: boolean; // Pending builds are not a result yet
  buildUrl?: string;
  /** The `payload` string as sent, over which Travis signs. */
  signedPayload: string;
}

/** A GitHub CI event (docs/contract.md#github-checks): it wakes a deployment of that commit that waits for GitHub checks. */
export interface GithubCiEvent {
  kind: 'github_ci';
  event: 'check_suite' | 'check_run' | 'status';
  delivery?: string;
  repository: RepositoryRef;
  sha: string;
  /** What happened, for logs and answers: e.g. `check_run test completed (failure)`. */
  summary: string;
}

export const CI_EVENTS: readonly string[] = ['check_suite', 'check_run', 'status'];

/** A GitHub `release` event: `published` deploys the release's tag to apps that deploy tags. */
export interface GithubRelease {
  kind: 'github_release';
  delivery?: string;
  action: string;
  repository: RepositoryRef & { defaultBranch?: string };
  tag: string;
}

/** A GitHub `pull_request` event (docs/contract.md#preview-apps): it drives the pull request's preview app. */
export interface GithubPullRequest {
  kind: 'github_pull_request';
  delivery?: string;
  action: string;
  number: number;
  repository: RepositoryRef;
  head: { sha: string; ref: string; repository: string };
  fork: boolean;
  merged: boolean;
  before?: string;
  updatedAt?: string;
}

/** GitHub lists at most this many commits in a push payload; with as many, the list may be cut. */
export const PUSH_COMMITS_LISTED = 20;

export type Webhook =
  | GithubPush
  | GithubRelease
  | GithubCiEvent
  | GithubPullRequest
  | TravisBuild
  | { kind: 'github_ping'; delivery?: string }
  | { kind: 'github_other'; event: string; delivery?: string };

const PASSED = ['passed', 'fixed'];
const FAILED = ['broken', 'failed', 'still failing', 'errored', 'canceled', 'cancelled'];
const SHA = /^[0-9a-f]{7,64}$/i;

/**
 * A ref name git takes (git check-ref-format): no control character, space or any of
 * `~^:?*[\`; no `..`, `@{` or `//`; no leading or trailing `/`, no trailing `.`; no component
 * starting with `.` or ending with `.lock`; not `@`.
 */
const REF_REFUSED = /[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.$|\.lock(\/|$)|(^|\/)\./;
export function isRefName(ref: string): boolean {
  return ref.length > 0 && ref.length <= 1024 && ref !== '@' && !REF_REFUSED.test(ref);
}

/** A branch name git takes (git check-ref-format --branch): a ref name not starting with `-`; at most 255 characters, as an app's branch. */
export function isBranchName(branch: string): boolean {
  return branch.length <= 255 && !branch.startsWith('-') && isRefName(branch);
}

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

const notSupported = (why: string) =>
  ApiError.of(Errors.deployProviderNotSupported, `This is not a GitHub or Travis payload we handle: ${why}.`);

/** Extracts the JSON document: a JSON body, or a form body's `payload` field (as GitHub and Travis send). */
export function readPayload(contentType: string | undefined, raw: Buffer): { json: unknown; text: string } {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  let text = raw.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    // `curl -d @push.json` sends the file as it is, typed as a form (docs/contract.md#webhook-intake): a body that is
    // itself JSON is the payload. A `payload=` form never starts with `{`.
    const json = asJsonObject(text);
    if (json !== undefined) return { json, text };
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null || payload.trim() === '') throw ApiError.of(Errors.deployNoPayload, 'The form body has no payload field.');
    text = payload;
  } else if (type !== 'application/json' && type !== '') {
    throw notSupported(`content type ${type} (send application/json or application/x-www-form-urlencoded)`);
  }
  if (text.trim() === '') throw ApiError.of(Errors.deployNoPayload);
  try {
    return { json: JSON.parse(text), text };
  } catch {
    throw notSupported('the payload is not valid JSON');
  }
}

/** The JSON object `text` is, or undefined when it is not one. */
function asJsonObject(text: string): object | undefined {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null ? json : undefined;
  } catch {
    return undefined;
  }
}

export function recogniseWebhook(headers: Headers, json: unknown, text: string): Webhook {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw notSupported('the payload is not a JSON object');
  const body = json as Record<string, unknown>;
  const event = header(headers, 'x-github-event');
  const delivery = header(headers, 'x-github-delivery');
  const fromGithub = event !== undefined || delivery !== undefined || header(headers, 'x-hub-signature-256') !== undefined;
  const fromTravis = header(headers, 'travis-repo-slug') !== undefined || header(headers, 'signature') !== undefined;
  if (fromGithub || (!fromTravis && 'after' in body && 'ref' in body && 'repository' in body)) {
    if (event === 'ping' || (event === undefined && 'zen' in body && 'hook_id' in body)) return { kind: 'github_ping', delivery };
    if (event !== undefined && CI_EVENTS.includes(event)) return parseCiEvent(event as GithubCiEvent['event'], body, delivery);
    if (event === 'release') return parseRelease(body, delivery);
    if (event === 'pull_request') return parsePullRequest(body, delivery);
    if (event !== undefined && event !== 'push') return { kind: 'github_other', event, delivery };
    return parseGithubPush(body, delivery);
  }
  if (fromTravis || ('status_message' in body && 'commit' in body && 'repository' in body)) return parseTravis(body, text);
  throw notSupported('neither GitHub push headers nor a Travis build payload');
}

function parseGithubPush(body: Record<string, unknown>, delivery?: string): GithubPush {
  const repo = object(body.repository, 'repository');
  const ownerField = repo.owner as Record<string, unknown> | undefined;
  const owner = str(ownerField?.login ?? ownerField?.name, 'repository.owner');
  const name = repositoryName(owner, str(repo.name, 'repository.name'));
  const ref = str(body.ref, 'ref');
  const sha = str(body.after, 'after');
  if (typeof repo.full_name === 'string' && canonicalRepository(repo.full_name) !== canonicalRepository(`${owner}/${name}`)) {
    throw notSupported('repository.full_name does not match its owner and name');
  }
  if (!SHA.test(sha)) throw notSupported('after is not a commit sha');
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
  if (!isRefName(ref) || (branch !== undefined && !isBranchName(branch))) throw notSupported('ref is not a valid git branch or tag name');
  const defaultBranch =
    typeof repo.default_branch === 'string' ? repo.default_branch : typeof repo.master_branch === 'string' ? repo.master_branch : undefined;
  if (defaultBranch !== undefined && !isBranchName(defaultBranch))
    throw notSupported('repository.default_branch is not a valid git branch name');
  const pusher = body.pusher as Record<string, unknown> | undefined;
  const headCommit = body.head_commit as Record<string, unknown> | undefined;
  return {
    kind: 'github_push',
    delivery,
    repository: {
      owner,
      name,
      fullName: `${owner}/${name}`,
      defaultBranch,
      private: repo.private === true,
    },
    ref,
    branch,
    tag,
    deleted: body.deleted === true || /^0+$/.test(sha),
    sha: sha.toLowerCase(),
    // An annotated tag's `after` is the tag object; its head_commit is the commit. A branch's `after` is its commit.
    commit: (tag !== undefined && typeof headCommit?.id === 'string' && SHA.test(headCommit.id) ? headCommit.id : sha).toLowerCase(),
    files: changedFiles(body.commits),
    // A forced push's `before` is the head it replaced, not an ancestor: it says nothing of order.
    before: body.forced !== true && typeof body.before === 'string' && SHA.test(body.before) ? body.before.toLowerCase() : undefined,
    pushedAt: pushTime(repo.pushed_at),
    pusher: typeof pusher?.name === 'string' ? pusher.name : undefined,
    message: typeof headCommit?.message === 'string' ? headCommit.message.slice(0, 500) : undefined,
  };
}

/** The paths the payload's commits touched; undefined when it lists no commits or may have cut the list. */
function changedFiles(commits: unknown): string[] | undefined {
  if (!Array.isArray(commits) || commits.length === 0 || commits.length >= PUSH_COMMITS_LISTED) return undefined;
  const files = new Set<string>();
  for (const commit of commits as Array<Record<string, unknown>>) {
    for (const field of ['added', 'modified', 'removed']) {
      const paths = commit?.[field];
      if (!Array.isArray(paths)) return undefined; // a payload without the lists cannot tell
      for (const path of paths) if (typeof path === 'string') files.add(path);
    }
  }
  return [...files];
}

/** A GitHub event's `repository`: its owner's login and its name as GitHub resolves it. */
function repositoryOf(body: Record<string, unknown>): { repo: Record<string, unknown>; owner: string; name: string } {
  const repo = object(body.repository, 'repository');
  const ownerField = repo.owner as Record<string, unknown> | undefined;
  const owner = str(ownerField?.login ?? ownerField?.name, 'repository.owner');
  return { repo, owner, name: repositoryName(owner, str(repo.name, 'repository.name')) };
}

function parseRelease(body: Record<string, unknown>, delivery?: string): GithubRelease {
  const { repo, owner, name } = repositoryOf(body);
  const release = object(body.release, 'release');
  const tag = str(release.tag_name, 'release.tag_name');
  if (!isRefName(`refs/tags/${tag}`)) throw notSupported('release.tag_name is not a valid git tag name');
  const defaultBranch = typeof repo.default_branch === 'string' && isBranchName(repo.default_branch) ? repo.default_branch : undefined;
  return {
    kind: 'github_release',
    delivery,
    action: typeof body.action === 'string' ? body.action : '',
    repository: { owner, name, fullName: `${owner}/${name}`, defaultBranch },
    tag,
  };
}

/** A `pull_request` payload: the base repository, the pull request's number and head (a fork's repository when it is one). */
function parsePullRequest(body: Record<string, unknown>, delivery?: string): GithubPullRequest {
  const { owner, name } = repositoryOf(body);
  const pr = object(body.pull_request, 'pull_request');
  const number = typeof body.number === 'number' ? body.number : pr.number;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) throw notSupported('number is not a pull request number');
  const head = object(pr.head, 'pull_request.head');
  const sha = str(head.sha, 'pull_request.head.sha');
  if (!SHA.test(sha)) throw notSupported('pull_request.head.sha is not a commit sha');
  const ref = str(head.ref, 'pull_request.head.ref');
  if (!isBranchName(ref)) throw notSupported('pull_request.head.ref is not a valid git branch name');
  // A head whose repository was deleted has `repo: null`: it can only be a fork's.
  const headRepo = head.repo === null || head.repo === undefined ? undefined : object(head.repo, 'pull_request.head.repo');
  const headName = typeof headRepo?.full_name === 'string' ? headRepo.full_name : undefined;
  if (headName !== undefined && !/^[^/]+\/[^/]+$/.test(headName)) throw notSupported('pull_request.head.repo.full_name is not owner/name');
  const fullName = `${owner}/${name}`;
  const fork = headName === undefined || canonicalRepository(headName) !== canonicalRepository(fullName);
  const before = typeof body.before === 'string' && SHA.test(body.before) ? body.before.toLowerCase() : undefined;
  return {
    kind: 'github_pull_request',
    delivery,
    action: typeof body.action === 'string' ? body.action.slice(0, 50) : '',
    number,
    repository: { owner, name, fullName },
    head: { sha: sha.toLowerCase(), ref, repository: headName ?? 'a deleted fork' },
    fork,
    merged: pr.merged === true,
    before,
    updatedAt: pushTime(pr.updated_at),
  };
}

/** `check_suite`, `check_run` and `status` payloads: the repository and the commit they are about. */
function parseCiEvent(event: GithubCiEvent['event'], body: Record<string, unknown>, delivery?: string): GithubCiEvent {
  const { owner, name } = repositoryOf(body);
  const subject = event === 'status' ? body : object(body[event], event);
  const sha = str(event === 'status' ? subject.sha : subject.head_sha, event === 'status' ? 'sha' : `${event}.head_sha`);
  if (!SHA.test(sha)) throw notSupported(`${event === 'status' ? 'sha' : `${event}.head_sha`} is not a commit sha`);
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 200) : undefined);
  const what =
    event === 'status'
      ? `status ${text(subject.context) ?? ''} ${text(subject.state) ?? ''}`
      : `${event} ${event === 'check_run' ? `${text(subject.name) ?? ''} ` : ''}${text(body.action) ?? ''}`;
  const conclusion = event === 'status' ? undefined : text(subject.conclusion);
  return {
    kind: 'github_ci',
    event,
    delivery,
    repository: { owner, name, fullName: `${owner}/${name}` },
    sha: sha.toLowerCase(),
    summary: `${what.replace(/\s+/g, ' ').trim()}${conclusion ? ` (${conclusion})` : ''}`,
  };
}

/** Push payloads carry `pushed_at` as Unix seconds; the REST API's repository as an ISO date. */
function pushTime(value: unknown): string | undefined {
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && ms > 0 && ms < 8.64e15 ? new Date(ms).toISOString() : undefined;
}

function parseTravis(body: Record<string, unknown>, text: string): TravisBuild {
  const repo = object(body.repository, 'repository');
  const owner = str(repo.owner_name, 'repository.owner_name');
  const name = repositoryName(owner, str(repo.name, 'repository.name'));
  const sha = str(body.commit, 'commit');
  if (!SHA.test(sha)) throw notSupported('commit is not a sha');
  const branch = typeof body.branch === 'string' && body.branch !== '' ? body.branch : undefined;
  if (branch !== undefined && !isBranchName(branch)) throw notSupported('branch is not a valid git branch name');
  const statusMessage = str(body.status_message ?? body.result_message, 'status_message');
  const normalised = statusMessage.toLowerCase();
  return {
    kind: 'travis',
    repository: { owner, name, fullName: `${owner}/${name}` },
    sha: sha.toLowerCase(),
    branch,
    pullRequest: body.pull_request === true || body.pull_request === 'true' || body.type === 'pull_request',
    buildId: typeof body.id === 'number' ? body.id : undefined,
    statusMessage,
    passed: PASSED.includes(normalised),
    finished: PASSED.includes(normalised) || FAILED.includes(normalised),
    buildUrl: typeof body.build_url === 'string' ? body.build_url : undefined,
    signedPayload: text,
  };
}

/**
 * The repository's name as GitHub resolves it: `hello.git` and `hello.` are `hello`, so a
 * payload's spelling never makes a deployment, a Travis signal or a secret lookup miss the app.
 */
function repositoryName(owner: string, name: string): string {
  const resolved = withoutGitSuffix(name);
  if (!isRepositoryName(owner) || !isRepositoryName(name) || !isRepositoryName(resolved))
    throw notSupported('repository owner or name has unexpected characters');
  return resolved;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notSupported(`${field} is missing`);
  return value as Record<string, unknown>;
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw notSupported(`${field} is missing`);
  return value;
}
