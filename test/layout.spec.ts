import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { PRODUCT, ROOT, sources, SPECIFIER } from './layout/product-sources';

/**
 * The product (apps/, libs/, workflows/) stands alone: it imports nothing from the development
 * tooling (tools/), the tests (test/) or the benchmarks (bench/), so the production build and
 * image hold only the product. Pure: reads the repository's files.
 */
const NOT_PRODUCT = ['tools', 'test', 'bench'];

/** "apps/x.ts imports ../../tools/stack (tools/stack)" for each import of a non-product folder in `file`. */
export function toolingImports(file: string, text: string): string[] {
  return [...text.matchAll(SPECIFIER)].flatMap(([, , specifier]) => {
    if (!specifier.startsWith('.')) return [];
    const target = relative(ROOT, resolve(dirname(file), specifier));
    return NOT_PRODUCT.includes(target.split(sep)[0]) ? [`${relative(ROOT, file)} imports ${specifier} (${target})`] : [];
  });
}

describe('layout: the product imports no tooling', () => {
  it('finds the imports it looks for (the check itself)', () => {
    const file = join(ROOT, 'apps', 'gateway', 'main.ts');
    expect(
      toolingImports(
        file,
        [
          "import { a } from '../../tools/stack';",
          "export { b } from '../../test/support/archives';",
          "const c = require('../../bench/probes');",
          "import '../../tools/stack/memory-probe';",
          "const d = await import('../../tools/github-standin/github-standin');",
          "import { e } from '../../libs/config';",
          "import { f } from '@nestjs/common';",
        ].join('\n'),
      ),
    ).toHaveLength(5);
  });

  it('no file under apps/, libs/ or workflows/ imports tools/, test/ or bench/', () => {
    const files = PRODUCT.flatMap((dir) => sources(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(100);
    const offending = files.flatMap((file) => toolingImports(file, readFileSync(file, 'utf8')));
    expect(offending).toEqual([]);
  });

  it('the production build (tsconfig.build.json) compiles the product folders only', () => {
    const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    expect(config.include.map((pattern) => pattern.split('/')[0]).sort()).toEqual([...PRODUCT].sort());
  });
});
