import { importsOf, productFiles, SourceFile } from './product-sources';

/**
 * Imports run one way, apps → libs → workflows, down to the bottom (the error catalogue and the
 * types the workflows share with their activities), and libraries import each other without
 * cycles. Pure: reads the repository's files.
 */
type Layer = 'app' | 'domain' | 'infrastructure' | 'workflows' | 'bottom';

/** Libraries that serve every other and know no product domain. */
const INFRASTRUCTURE = ['libs/config', 'libs/logging', 'libs/metrics', 'libs/persistence', 'libs/secrets'];
/** What everything may import and which imports only its own kind. */
const BOTTOM = ['libs/errors', 'workflows/types', 'workflows/activities'];
/** Besides its own unit, what each layer may import: an app no other app, a library no app. */
const MAY_IMPORT: Record<Layer, Layer[]> = {
  app: ['domain', 'infrastructure', 'workflows', 'bottom'],
  domain: ['domain', 'infrastructure', 'workflows', 'bottom'],
  infrastructure: ['infrastructure', 'bottom'],
  workflows: ['workflows', 'bottom'],
  bottom: ['bottom'],
};

/** The unit (an app, a library, the workflows, a bottom file) a repository path belongs to, and its layer; undefined outside the product. */
function placeOf(path: string): { unit: string; layer: Layer } | undefined {
  const [top, name] = path.split('/');
  const file = path.replace(/\.ts$/, '');
  if (top === 'apps' && name) return { unit: `apps/${name}`, layer: 'app' };
  if (top === 'workflows') return BOTTOM.includes(file) ? { unit: file, layer: 'bottom' } : { unit: 'workflows', layer: 'workflows' };
  if (top === 'libs' && name) {
    const unit = `libs/${name}`;
    return { unit, layer: BOTTOM.includes(unit) ? 'bottom' : INFRASTRUCTURE.includes(unit) ? 'infrastructure' : 'domain' };
  }
  return undefined; // tools/, test/, bench/: test/layout.spec.ts keeps the product apart from them
}

/** "libs/logging/logger.ts (infrastructure) imports ../deployments/workflow-ids (libs/deployments, domain)" for each import against the direction. */
export function importsAgainstDirection(files: SourceFile[]): string[] {
  return files.flatMap((file) => {
    const from = placeOf(file.path);
    if (!from) return [];
    return importsOf(file).flatMap(({ specifier, target }) => {
      const to = placeOf(target);
      if (!to || to.unit === from.unit) return [];
      if (MAY_IMPORT[from.layer].includes(to.layer) && !(from.layer === 'app' && to.layer === 'app')) return [];
      return [`${file.path} (${from.layer}) imports ${specifier} (${to.unit}, ${to.layer})`];
    });
  });
}

/** "libs/a → libs/b → libs/a (libs/a/x.ts imports ../b/y; libs/b/y.ts imports ../a)" for each cycle between libraries. */
export function libraryCycles(files: SourceFile[]): string[] {
  const edges = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = placeOf(file.path);
    if (!from?.unit.startsWith('libs/')) continue;
    for (const { specifier, target } of importsOf(file)) {
      const to = placeOf(target);
      if (!to?.unit.startsWith('libs/') || to.unit === from.unit) continue;
      const out = edges.get(from.unit) ?? new Map<string, string>();
      if (!out.has(to.unit)) out.set(to.unit, `${file.path} imports ${specifier}`);
      edges.set(from.unit, out);
    }
  }
  const reported = new Set<string>();
  const cycles: string[] = [];
  for (const start of [...edges.keys()].sort()) {
    if (reported.has(start)) continue;
    const cycle = shortestCycle(start, edges);
    if (!cycle) continue;
    cycle.forEach((unit) => reported.add(unit));
    const evidence = cycle.map((unit, i) => edges.get(unit)!.get(cycle[(i + 1) % cycle.length])!);
    cycles.push(`${[...cycle, start].join(' → ')} (${evidence.join('; ')})`);
  }
  return cycles;
}

/** The units of a shortest way from `start` back to it, `start` first; undefined when there is none. */
function shortestCycle(start: string, edges: Map<string, Map<string, string>>): string[] | undefined {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const unit = queue.shift()!;
    for (const next of [...(edges.get(unit)?.keys() ?? [])].sort()) {
      if (next === start) {
        const way = [unit];
        while (way[0] !== start) way.unshift(cameFrom.get(way[0])!);
        return way;
      }
      if (cameFrom.has(next)) continue;
      cameFrom.set(next, unit);
      queue.push(next);
    }
  }
  return undefined;
}

const planted = (files: Record<string, string[]>): SourceFile[] =>
  Object.entries(files).map(([path, imports]) => ({
    path,
    text: imports.map((specifier) => `import { x } from '${specifier}';`).join('\n'),
  }));

describe('layout: imports run apps → libs → workflows, libraries without cycles', () => {
  it('finds the imports against the direction (the check itself)', () => {
    const found = importsAgainstDirection(
      planted({
        'libs/intake/intake.service.ts': ['../../apps/gateway/main', '../deployments', '../../workflows/deployment.workflow'],
        'libs/logging/logger.ts': ['../deployments/workflow-ids', '../../workflows/types', '../../workflows/line.workflow', '../errors'],
        'workflows/deployment.workflow.ts': ['../libs/deployments', '../libs/errors/catalogue', './types', './github-gate'],
        'workflows/types.ts': ['../libs/errors/catalogue', '../libs/config'],
        'libs/errors/api-error.ts': ['./catalogue', '../metrics'],
        'apps/cli/main.ts': ['../receiver', '../../libs/config', '../../workflows/types', './output'],
      }),
    );
    expect(found).toEqual([
      'libs/intake/intake.service.ts (domain) imports ../../apps/gateway/main (apps/gateway, app)',
      'libs/logging/logger.ts (infrastructure) imports ../deployments/workflow-ids (libs/deployments, domain)',
      'libs/logging/logger.ts (infrastructure) imports ../../workflows/line.workflow (workflows, workflows)',
      'workflows/deployment.workflow.ts (workflows) imports ../libs/deployments (libs/deployments, domain)',
      'workflows/types.ts (bottom) imports ../libs/config (libs/config, infrastructure)',
      'libs/errors/api-error.ts (bottom) imports ../metrics (libs/metrics, infrastructure)',
      'apps/cli/main.ts (app) imports ../receiver (apps/receiver, app)',
    ]);
  });

  it('finds cycles between libraries (the check itself)', () => {
    const found = libraryCycles(
      planted({
        'libs/a/x.ts': ['../b/y', './z'],
        'libs/b/y.ts': ['../c'],
        'libs/c/index.ts': ['../a/x'],
        'libs/d/w.ts': ['../a/x'],
      }),
    );
    expect(found).toEqual([
      'libs/a → libs/b → libs/c → libs/a (libs/a/x.ts imports ../b/y; libs/b/y.ts imports ../c; libs/c/index.ts imports ../a/x)',
    ]);
  });

  it('no import under apps/, libs/ or workflows/ runs against the direction', () => {
    const files = productFiles();
    expect(files.length).toBeGreaterThan(100);
    expect(importsAgainstDirection(files)).toEqual([]);
  });

  it('no library imports another that imports it back', () => {
    expect(libraryCycles(productFiles(['libs']))).toEqual([]);
  });
});
