import { globToRegExp, matchesGlob, pathsRule, refRule } from './triggers';

describe('app triggers', () => {
  it('matches globs as paths: * within a segment, ** across, ? one character', () => {
    expect(matchesGlob('v*', 'v1.2.0')).toBe(true);
    expect(matchesGlob('v*', 'release-1')).toBe(false);
    expect(matchesGlob('services/api/**', 'services/api/src/index.ts')).toBe(true);
    expect(matchesGlob('services/api/**', 'services/web/index.ts')).toBe(false);
    expect(matchesGlob('services/*/package.json', 'services/api/package.json')).toBe(true);
    expect(matchesGlob('services/*/package.json', 'services/api/x/package.json')).toBe(false);
    expect(matchesGlob('**/*.md', 'README.md')).toBe(true);
    expect(matchesGlob('v?.*', 'v1.0')).toBe(true);
    expect(globToRegExp('a.b(c)').test('a.b(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('deploys the deploy branch or matching tags, and says why not otherwise', () => {
    const staging = { name: 'api-staging', branch: 'main' };
    const production = { name: 'api', deployTags: 'v*' };
    expect(refRule(staging, { branch: 'main' })).toBeUndefined();
    expect(refRule(staging, { tag: 'v1.2.0' })).toMatch(/tag pushes do not deploy it/);
    expect(refRule(staging, { branch: 'dev' })).toMatch(/deploy branch is main/);
    expect(refRule({ name: 'x' }, { branch: 'trunk', defaultBranch: 'trunk' })).toBeUndefined();
    expect(refRule(production, { tag: 'v1.2.0' })).toBeUndefined();
    expect(refRule(production, { tag: 'nightly' })).toMatch(/does not match api's deployOn.tags v\*/);
    expect(refRule(production, { branch: 'main' })).toMatch(/deploys tags matching v\*/);
  });

  it('deploys when a changed file matches the paths, or when the files are unknown', () => {
    const app = { name: 'api', paths: ['services/api/**'] };
    expect(pathsRule(app, ['services/api/index.js', 'docs/x.md'])).toBeUndefined();
    expect(pathsRule(app, ['docs/guide.md'])).toBe(
      "No changed file matches api's paths (services/api/**); the push changed docs/guide.md.",
    );
    expect(pathsRule(app, undefined)).toBeUndefined();
    expect(pathsRule({ name: 'all' }, ['docs/guide.md'])).toBeUndefined();
  });
});
