import { productFiles, SourceFile } from './product-sources';

/**
 * One meaning per exported name: no two product files export a declaration of the same name (a
 * reader who meets `RecordState` should not have to ask which one). Re-exports (`export { x }
 * from`, index files) are not declarations and do not count. Pure: reads the repository's files.
 */
const DECLARATION =
  /^export\s+(?:declare\s+)?(?:default\s+)?(?:abstract\s+)?(?:async\s+)?(?:interface|type|class|const|let|function\*?|enum)\s+([A-Za-z_$][\w$]*)/gm;

/** "Name: a.ts, b.ts" for every name exported as a declaration by more than one of `files`. */
export function namesDefinedTwice(files: SourceFile[]): string[] {
  const where = new Map<string, string[]>();
  for (const file of files) {
    for (const [, name] of file.text.matchAll(DECLARATION)) where.set(name, [...(where.get(name) ?? []), file.path]);
  }
  return [...where].filter(([, paths]) => paths.length > 1).map(([name, paths]) => `${name}: ${paths.join(', ')}`);
}

describe('layout: every exported name has one definition', () => {
  it('finds a name two files export (the check itself)', () => {
    expect(
      namesDefinedTwice([
        { path: 'libs/a.ts', text: 'export interface RecordState { ref: string }\nexport const ONLY_HERE = 1;' },
        { path: 'workflows/b.ts', text: "export type RecordState = 'ok';\nexport { ONLY_HERE } from '../libs/a';" },
        { path: 'apps/c.ts', text: 'export async function start() {}\nexport default class Thing {}' },
      ]),
    ).toEqual(['RecordState: libs/a.ts, workflows/b.ts']);
  });

  it('no two files under apps/, libs/ or workflows/ export a declaration of the same name', () => {
    const files = productFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(namesDefinedTwice(files)).toEqual([]);
  });
});
