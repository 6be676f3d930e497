/**
 * An app's trigger (docs/contract.md#triggers): which refs deploy it (a branch, or tags matching a glob)
 * and which changed paths do. Pure: the intake asks, with what the push says.
 */
export interface AppTrigger {
  name: string;
  /** The deploy branch; absent: the repository's default branch. */
  branch?: string;
  /** Tags matching this glob deploy; set, branch pushes do not. */
  deployTags?: string;
  paths?: string[];
}

/** An app's trigger from its stored settings. */
export function trigger(app: { record: { name: string; branch?: string; deployTags?: string; paths?: string[] } }): AppTrigger {
  return { name: app.record.name, branch: app.record.branch, deployTags: app.record.deployTags, paths: app.record.paths };
}

/** `*` matches within a path segment, `**` across segments, `?` one character (not `/`); the rest literally. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === '*' && glob[i + 1] === '*') {
      // `**/` also matches no directory at all: `services/**/index.js` takes `services/index.js`.
      if (glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function matchesGlob(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}

/** Whether a push of `ref` (a branch or a tag) deploys the app; when not, why. */
export function refRule(app: AppTrigger, push: { branch?: string; tag?: string; defaultBranch?: string }): string | undefined {
  if (app.deployTags !== undefined) {
    if (push.tag === undefined) return `${app.name} deploys tags matching ${app.deployTags}, not pushes to ${push.branch}.`;
    return matchesGlob(app.deployTags, push.tag)
      ? undefined
      : `Tag ${push.tag} does not match ${app.name}'s deployOn.tags ${app.deployTags}.`;
  }
  const deployBranch = app.branch ?? push.defaultBranch ?? 'master';
  if (push.tag !== undefined)
    return `${app.name} deploys pushes to ${deployBranch}; tag pushes do not deploy it (set deployOn.tags for that).`;
  return push.branch === deployBranch
    ? undefined
    : `Pushes to ${push.branch} do not deploy ${app.name}; its deploy branch is ${deployBranch}.`;
}

/**
 * Whether the changed files deploy the app (docs/contract.md#triggers: `paths`); undefined `files` (GitHub could not
 * list them) deploys: a filter that cannot be evaluated must not drop a release.
 */
export function pathsRule(app: AppTrigger, files: string[] | undefined): string | undefined {
  if (!app.paths || app.paths.length === 0 || files === undefined) return undefined;
  const patterns = app.paths.map(globToRegExp);
  if (files.some((file) => patterns.some((pattern) => pattern.test(file)))) return undefined;
  const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? `, … (${files.length} files)` : '');
  return `No changed file matches ${app.name}'s paths (${app.paths.join(', ')}); the push changed ${shown || 'no files'}.`;
}
