/**
 * Where the pipeline gets a user's GitHub token: for repository reads (private repositories)
 * only an unrestricted token; for commit statuses the app's own token or the unrestricted one.
 */
export abstract class GithubTokens {
  abstract tokenFor(user: string, app?: string): Promise<string | undefined>;
}
