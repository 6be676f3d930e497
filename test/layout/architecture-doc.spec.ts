import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { foldersIn, ROOT } from './product-sources';

/**
 * docs/architecture.md's Layout section is the room list of the product: it names every folder
 * under apps/ and libs/, and no folder that does not exist. Pure: reads the repository's files.
 */
const DOC = 'docs/architecture.md';

/** The `apps/x` and `libs/y` folders the Layout section (from "## Layout" to the next "## ") names. */
export function roomsNamed(markdown: string): Set<string> {
  const start = markdown.indexOf('\n## Layout');
  if (start < 0) throw new Error(`${DOC} has no "## Layout" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return new Set([...section.matchAll(/\b(apps|libs)\/([a-z0-9-]+)/g)].map(([, top, name]) => `${top}/${name}`));
}

/** What the section and the tree disagree on, in words. */
export function roomListProblems(named: Set<string>, folders: string[]): string[] {
  return [
    ...folders
      .filter((folder) => !named.has(folder))
      .map((folder) => `${folder} exists, but the Layout section of ${DOC} does not name it`),
    ...[...named]
      .filter((room) => !folders.includes(room))
      .map((room) => `the Layout section of ${DOC} names ${room}, which does not exist`),
  ];
}

describe(`layout: ${DOC} lists the folders of apps/ and libs/`, () => {
  it('finds the rooms missing and those left over (the check itself)', () => {
    const named = roomsNamed(
      [
        '# Architecture',
        '## Layout',
        '```',
        'apps/gateway   …',
        'libs/intake, libs/gone   …',
        '```',
        '## Decisions',
        'libs/elsewhere',
      ].join('\n'),
    );
    expect([...named].sort()).toEqual(['apps/gateway', 'libs/gone', 'libs/intake']);
    expect(roomListProblems(named, ['apps/gateway', 'apps/worker', 'libs/intake'])).toEqual([
      `apps/worker exists, but the Layout section of ${DOC} does not name it`,
      `the Layout section of ${DOC} names libs/gone, which does not exist`,
    ]);
  });

  it('names every folder under apps/ and libs/, and nothing else there', () => {
    const folders = [...foldersIn('apps'), ...foldersIn('libs')];
    expect(folders.length).toBeGreaterThan(10);
    expect(roomListProblems(roomsNamed(readFileSync(join(ROOT, DOC), 'utf8')), folders)).toEqual([]);
  });
});
