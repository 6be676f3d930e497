/**
 * Whether `part` can be a GitHub owner or repository name: letters, digits, `-`, `_` and `.`,
 * at most 100, never `.` or `..` (GitHub refuses them; in a URL path they would climb out).
 * Pure: the webhook parser and the local GitHub stand-in share it.
 */
export function isRepositoryName(part: string): boolean {
  return /^[A-Za-z0-9_.-]{1,100}$/.test(part) && part !== '.' && part !== '..';
}
