import { join } from 'node:path';
import * as ts from 'typescript';

/**
 * Each activity proxy of workflows/proxies.ts offers only the activities of its class, so a long
 * activity called on a local proxy does not compile. Jest only transpiles (tsconfig's
 * isolatedModules): this test runs the type checker itself over activity-proxies.fixture.ts.
 */
const fixture = join(__dirname, 'activity-proxies.fixture.ts');
const DIRECTIVE = /^\s*\/\/ @ts-expect-error\b.*$/gm;

function typeErrors(replace?: (text: string) => string): ts.Diagnostic[] {
  const root = join(__dirname, '../..');
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const options = { ...ts.parseJsonConfigFileContent(config, ts.sys, root).options, noEmit: true, incremental: false };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, target, ...rest) =>
    replace && name === fixture ? ts.createSourceFile(name, replace(ts.sys.readFile(name)!), target) : read(name, target, ...rest);
  const program = ts.createProgram([fixture], options, host);
  return [...ts.getPreEmitDiagnostics(program, program.getSourceFile(fixture))];
}

const describeAll = (diagnostics: ts.Diagnostic[]) =>
  diagnostics.map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });

describe('activity proxies', () => {
  const expected = (ts.sys.readFile(fixture)!.match(DIRECTIVE) ?? []).length;

  it('type-check the wrong calls as errors, each where it is marked (no directive unused), and hold the class assertions', () => {
    expect(expected).toBeGreaterThanOrEqual(10);
    expect(describeAll(typeErrors())).toEqual([]);
  }, 60_000);

  it('fail to compile exactly those calls, for the proxy lacks the activity, once their markers are taken away', () => {
    const errors = typeErrors((text) => text.replace(DIRECTIVE, ''));
    expect(errors.map((e) => e.code)).toEqual(Array(expected).fill(2339)); // Property '…' does not exist on type '…'
    for (const message of describeAll(errors)) expect(message).toMatch(/Property '(\w+)' does not exist on type/);
  }, 60_000);
});
