import * as ts from 'typescript';
import { productFiles, SourceFile } from './product-sources';

/**
 * Functions a reader can hold in their head: none in the product over 120 lines, and the
 * deployment workflow's entry point a short driver over its stages (docs/architecture.md#the-deployment-workflow).
 * Pure: parses the repository's files.
 */
const MOST_LINES = 120;
const DEPLOYMENT_MOST_LINES = 80;

/** Every function with a body in `file`: "path:line name" and its length in lines. */
export function functionLengths(file: SourceFile): Array<{ where: string; name: string; lines: number }> {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true);
  const found: Array<{ where: string; name: string; lines: number }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      const name = node.name?.getText() ?? '(anonymous)';
      found.push({ where: `${file.path}:${first + 1} ${name}`, name, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('layout: short functions', () => {
  const lengths = productFiles().flatMap(functionLengths);

  it('measures functions, methods and arrows (the check itself)', () => {
    const planted = functionLengths({ path: 'x.ts', text: 'function a() {\n  return 1;\n}\nclass B { m() { const f = () => {\n}; } }' });
    expect(planted.map(({ name, lines }) => [name, lines])).toEqual([
      ['a', 3],
      ['m', 2],
      ['(anonymous)', 2],
    ]);
  });

  it(`has no function over ${MOST_LINES} lines in apps/, libs/ or workflows/`, () => {
    expect(lengths.length).toBeGreaterThan(500);
    expect(lengths.filter(({ lines }) => lines > MOST_LINES).map(({ where, lines }) => `${where}: ${lines} lines`)).toEqual([]);
  });

  it(`keeps deployment() at most ${DEPLOYMENT_MOST_LINES} lines`, () => {
    const deployment = lengths.filter(
      ({ where }) => where.startsWith('workflows/deployment.workflow.ts:') && where.endsWith(' deployment'),
    );
    expect(deployment).toHaveLength(1);
    expect(deployment[0].lines).toBeLessThanOrEqual(DEPLOYMENT_MOST_LINES);
  });
});
