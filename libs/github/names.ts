/**
 * Whether `part` can be a GitHub owner or repository name: letters, digits, `-`, `_` and `.`,
 * at most 100, never `.` or `..` (GitHub refuses them; in a URL path they would climb out).
 * Pure: the webhook parser and the local GitHub stand-in share it.
 */
export function isRepositoryName(part: string): boolean {
  return /^[A-Za-z0-9_.-]{1,100}$/.test(part) && part !== '.' && part !== '..';
}

/** Trailing `.git` or `.` suffixes, any number: GitHub resolves `o/r.git` and `o/r.` to `o/r`. */
const GIT_SUFFIXES = /(?:\.git|\.)+$/i;

/** A repository name without the suffixes GitHub ignores; its letters' case kept (for display and API calls). */
export function withoutGitSuffix(name: string): string {
  return name.replace(GIT_SUFFIXES, '');
}

/**
 * `owner/name` in GitHub's canonical form for comparing: GitHub ignores case and a trailing
 * `.git` or `.`, so every spelling of one repository has one key. Every lookup of an app or a
 * secret by repository compares these, never the spelling a payload or a user sent.
 */
export function canonicalRepository(fullName: string): string {
  const slash = fullName.indexOf('/');
  const owner = slash < 0 ? fullName : fullName.slice(0, slash);
  const name = slash < 0 ? '' : fullName.slice(slash + 1);
  return `${owner}/${withoutGitSuffix(name)}`.toLowerCase();
}

/**
 * A regular expression source matching every lower-cased stored spelling whose canonical form is
 * `canonicalRepository(fullName)` (the canonical key itself, or it followed by `.git` / `.`
 * suffixes), for stores that kept the spelling they were given.
 */
export function repositorySpellingsPattern(fullName: string): string {
  return `${escapeRegExp(canonicalRepository(fullName))}(?:\\.git|\\.)*`;
}

export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
