import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { ERRORS_DOC, withErrorsTable } from './errors-table';

/**
 * `npm run docs`: writes the generated parts of the documentation (docs/errors.md's table, from
 * the error catalogue). With `--check` it writes nothing and exits 1 when a file is out of date.
 * test/docs/generated.spec.ts runs the same check in `npm test`.
 */
// Compiled into dist/tools/docs/ (npm run docs), or run from tools/docs/.
const root = __dirname.includes(`${sep}dist${sep}`) ? resolve(__dirname, '../../..') : resolve(__dirname, '../..');
const check = process.argv.includes('--check');

const path = join(root, ERRORS_DOC);
const before = readFileSync(path, 'utf8');
const after = withErrorsTable(before);
if (before === after) console.log(`${ERRORS_DOC}: up to date`);
else if (check) {
  console.error(`${ERRORS_DOC}: out of date; run npm run docs`);
  process.exitCode = 1;
} else {
  writeFileSync(path, after);
  console.log(`${ERRORS_DOC}: table written from libs/errors/catalogue.ts`);
}
