/**
 * Where the pipeline gets a user's GitHub token: for repository reads (private repositories)
 * only an unrestricted token; for commit statuses the app's own token or the unrestricted one.
 * With `repository`, the GitHub App's installation token for it comes first, where the user linked it.
 */
export abstract class GithubTokens {
  abstract tokenFor(user: string, app?: string, repository?: string): Promise<string | undefined>;
}
