import { existsSync, readdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

/**
 * Where the status page's static files are. Beside this module in both runs: from source under
 * ts-jest (apps/gateway/status-page/public), and from dist/ once `npm run build` has copied them
 * (scripts/copy-assets.js). A dist/ compiled by bare `tsc` has no copy: it falls back to the
 * source tree, which sits four levels up from dist/apps/gateway/status-page.
 */
function findStatusPageDir(): string {
  const candidates = [join(__dirname, 'public'), resolve(__dirname, '../../../../apps/gateway/status-page/public')];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (!found) throw new Error(`The status page's files are missing (looked in ${candidates.join(', ')}): run \`npm run build\`.`);
  return found;
}

export const STATUS_PAGE_DIR = findStatusPageDir();
export const STATUS_PAGE_INDEX = 'index.html';

/** The files served under /status-page/<name>: what the directory holds (the page itself is served at /status-page only). */
export const STATUS_PAGE_FILES: ReadonlySet<string> = new Set(readdirSync(STATUS_PAGE_DIR).filter((name) => name !== STATUS_PAGE_INDEX));

/** Content types as the page always had them (text/javascript per RFC 9239, where `mime` still says application/javascript). */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function statusPageContentType(name: string): string {
  return CONTENT_TYPES[extname(name)] ?? 'application/octet-stream';
}
