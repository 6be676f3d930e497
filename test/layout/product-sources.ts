import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

/** What the layout tests read: the repository's files, as text (nothing is run). */
export const ROOT = join(__dirname, '..', '..');
export const PRODUCT = ['apps', 'libs', 'workflows'];
/** Static and dynamic imports, re-exports, side-effect imports and require(). */
export const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])([^'"]+)\1/g;
// Tests beside the code (*.spec.ts) are not product: they may use test/support.
const isProductSource = (file: string) => file.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(file);

/** The product's source files under `dir` (absolute paths). */
export function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return isProductSource(path) ? [path] : [];
  });
}

/** A source file: its path from the repository's root (with `/`) and its text. */
export interface SourceFile {
  path: string;
  text: string;
}

/** Every product source file under the given top-level folders. */
export function productFiles(folders: string[] = PRODUCT): SourceFile[] {
  return folders
    .flatMap((folder) => sources(join(ROOT, folder)))
    .map((file) => ({ path: relative(ROOT, file).split(sep).join('/'), text: readFileSync(file, 'utf8') }));
}

/** The relative imports of `file`: each specifier, and the repository path it names (without an extension). */
export function importsOf(file: SourceFile): Array<{ specifier: string; target: string }> {
  return [...file.text.matchAll(SPECIFIER)].flatMap(([, , specifier]) =>
    specifier.startsWith('.') ? [{ specifier, target: posix.normalize(posix.join(dirname(file.path), specifier)) }] : [],
  );
}

/** The folders directly under `dir` (a path from the root). */
export function foldersIn(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${dir}/${entry.name}`);
}
