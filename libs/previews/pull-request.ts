/** A GitHub `pull_request` event as the intake reads it (libs/intake/webhooks.ts parses it). */
export interface PullRequestEvent {
  delivery?: string;
  action: string;
  number: number;
  /** The base repository (`owner/name`), whose apps the preview belongs to. */
  repository: string;
  head: { sha: string; ref: string; repository: string };
  /** The head lives in another repository than the base. */
  fork: boolean;
  merged: boolean;
  /** `synchronize`'s previous head. */
  before?: string;
  /** `pull_request.updated_at` (ISO). */
  updatedAt?: string;
}

/** The actions that change a preview; the others are answered `ignored`. */
export const PREVIEW_ACTIONS: readonly string[] = ['opened', 'reopened', 'synchronize', 'closed'];

/** The preview app of a pull request: `<app>-pr-<n>`. */
export const previewAppName = (app: string, pr: number) => `${app}-pr-${pr}`;

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** previews.ttl (`36h`, `7d`) in ms. */
export function ttlMs(ttl: string): number {
  const match = /^([1-9][0-9]{0,4})(m|h|d)$/.exec(ttl);
  if (!match) throw new Error(`not a previews.ttl: ${ttl}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}
