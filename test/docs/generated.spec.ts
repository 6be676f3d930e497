import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_ENTRIES } from '../../libs/errors/catalogue';
import {
  appVariables,
  CONFIGURATION_DOC,
  difference,
  literalDefaults,
  receiverVariables,
  sectionTable,
  variablesInSource,
  variablesRead,
} from '../../tools/docs/configuration';
import { ERRORS_DOC, errorsTable, withErrorsTable } from '../../tools/docs/errors-table';
import { ConfigError } from '../../libs/config';

/**
 * The documentation's tables are the code's: docs/errors.md's table is what `npm run docs` writes
 * from the error catalogue, and docs/configuration.md's tables name exactly the variables the
 * settings schemas read, with the defaults the schemas write as literals. Pure: reads files.
 */
const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The first line where two texts differ, both versions, for a short failure message. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const b = expected.split('\n');
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line < 0 ? a.length : line;
  return `line ${at + 1}:\n  committed: ${a[at] ?? '(end of file)'}\n  generated: ${b[at] ?? '(end of file)'}`;
}

describe('docs/errors.md', () => {
  it('holds the table npm run docs writes from libs/errors/catalogue.ts', () => {
    const committed = read(ERRORS_DOC);
    const generated = withErrorsTable(committed);
    if (committed !== generated)
      throw new Error(`${ERRORS_DOC}'s table differs from the error catalogue: run npm run docs\n${firstDifference(committed, generated)}`);
  });

  it('writes one row per code, with its status (– when no HTTP API answers it) and where it occurs', () => {
    const rows = errorsTable().split('\n').slice(2);
    expect(rows).toHaveLength(ERROR_ENTRIES.length);
    expect(rows).toContain("| `deploy:stale` | – | workflow | The push names a commit older than the app's newest known one. |");
    expect(rows).toContain(
      '| `notifications:disabled` | 409 | api, notification | The subscription is disabled because its subscriber kept failing; enable it again first. |',
    );
    expect(errorsTable([{ code: 'a:b', where: ['api'], message: 'x | y' }])).toContain('| `a:b` | – | api | x \\| y |');
  });

  it('refuses to write without its markers (the table is never appended somewhere else)', () => {
    expect(() => withErrorsTable('# Error codes\n')).toThrow(/lost the markers/);
  });
});

describe('docs/configuration.md', () => {
  const doc = read(CONFIGURATION_DOC);
  const documented = (section: string) => sectionTable(doc, section).flatMap((row) => row.variables);

  it('finds the variables a loader reads, what a source reads and literal defaults (the checks themselves)', () => {
    const loader = (env: Record<string, string | undefined>) => {
      void env.PLANTED_A;
      if (env.PLANTED_B === undefined) throw new ConfigError('PLANTED_B', 'is required');
      void env.NEVER_READ;
    };
    expect(variablesRead(loader)).toEqual(['PLANTED_A', 'PLANTED_B']);
    expect(
      variablesInSource("process.env.ONE ?? env['TWO']; settings.port('THREE', 1); const TOKEN_ENV = 'FOUR'; s.int('FIVE', 2)"),
    ).toEqual(['FIVE', 'FOUR', 'ONE', 'THREE', 'TWO']);
    expect(
      literalDefaults(
        "  A_B: setting.durationMs('30s'),\n  C_D: setting.int(100_000, { min: 1 }),\n  E_F: setting.oneOf(['x', 'y'] as const, 'y'),\n" +
          "  G_H: setting.int(2 * 3),\n  I_J: setting.optionalPem('key'),\n s.int('K_L', 7, {})",
      ),
    ).toEqual(
      new Map([
        ['A_B', '30s'],
        ['C_D', '100000'],
        ['E_F', 'y'],
        ['K_L', '7'],
      ]),
    );
    expect(difference(['A', 'B'], ['B', 'C'])).toBe('read but missing from the table: A; in the table but read by nothing: C');
  });

  it.each([
    ['Gateway and worker', appVariables],
    ['Reference receiver', receiverVariables],
  ])('lists in "%s" exactly the variables its settings schema reads', (section, variables) => {
    const read = variables();
    expect(read.length).toBeGreaterThan(10);
    expect(difference(read, documented(section))).toBeUndefined();
  });

  it('gives the defaults the schemas write as literals', () => {
    const defaults = new Map([
      ...literalDefaults(read('libs/config/service-settings.ts')),
      ...literalDefaults(read('apps/receiver/receiver-options.ts')),
    ]);
    expect(defaults.size).toBeGreaterThan(30);
    const rows = [...sectionTable(doc, 'Gateway and worker'), ...sectionTable(doc, 'Reference receiver')];
    const wrong = [...defaults].flatMap(([name, value]) => {
      const row = rows.find((r) => r.variables.includes(name));
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return row && !new RegExp(`(?<![\\w.])${escaped}(?![\\w])`).test(row.defaults)
        ? [`${CONFIGURATION_DOC}:${row.line}: ${name} defaults to ${value}, the table says "${row.defaults}"`]
        : [];
    });
    expect(wrong).toEqual([]);
  });

  it('names every other environment variable the code and the provisioning script read', () => {
    const sources = ['apps', 'libs', 'workflows', 'tools'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(file))
        .map((file) => `${dir}/${file}`)
        // The checker's own comments spell the patterns with example names.
        .filter((file) => !file.startsWith('tools/docs/')),
    );
    const names = new Set(sources.flatMap((file) => variablesInSource(read(file))));
    for (const match of read('scripts/provision-tools.sh').matchAll(/\$\{([A-Z][A-Z0-9_]*):-/g)) names.add(match[1]);
    expect(names.size).toBeGreaterThan(20);
    const named = new Set([...doc.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]));
    expect([...names].filter((name) => !named.has(name)).sort()).toEqual([]);
  });
});
