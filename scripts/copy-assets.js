// `npm run build`, after tsc: the files tsc does not emit, copied to the same place under dist/ so
// the compiled code finds them beside itself (today: the status page's HTML, CSS and browser JS).
const { cpSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
for (const dir of ['apps/gateway/status-page/public']) {
  const target = join(root, 'dist', dir);
  rmSync(target, { recursive: true, force: true }); // a file removed from the source leaves dist/ too
  cpSync(join(root, dir), target, { recursive: true });
}
