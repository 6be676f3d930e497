import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_PAGE_DIR } from '../../apps/gateway/status-page/status-page-files';
import { Harness } from '../support/harness';

/** Each URL of the status page, the file on disk it serves, and the type it is served as. */
const SERVED = [
  { url: '/status-page', file: 'index.html', type: /^text\/html; charset=utf-8$/ },
  { url: '/status-page/app.js', file: 'app.js', type: /^text\/javascript; charset=utf-8$/ },
  { url: '/status-page/apps.js', file: 'apps.js', type: /^text\/javascript; charset=utf-8$/ },
  { url: '/status-page/style.css', file: 'style.css', type: /^text\/css; charset=utf-8$/ },
  { url: '/status-page/favicon.svg', file: 'favicon.svg', type: /^image\/svg\+xml$/ },
];

/**
 * The status page's static files (apps/gateway/status-page/public) through @fastify/static: each
 * answers with its file's bytes, `no-cache` plus validators, and 304 to a conditional request,
 * keeping the page's security headers. No browser needed (status-page.e2e-spec.ts drives Chromium).
 */
describe('status page files (static, cached by revalidation)', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await Harness.start({ worker: false });
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('serves every file in the folder, and the OpenAPI document lists them', async () => {
    expect(SERVED.map((s) => s.file).sort()).toEqual(readdirSync(STATUS_PAGE_DIR).sort());
    type Parameter = { name: string; schema: { enum: string[] } };
    const document = (await (await fetch(`${harness.baseUrl}/docs/json`)).json()) as {
      paths: Record<string, { get: { parameters: Parameter[] } }>;
    };
    const parameter = document.paths['/status-page/{file}'].get.parameters.find((p) => p.name === 'file')!;
    expect([...parameter.schema.enum].sort()).toEqual(
      SERVED.filter((s) => s.file !== 'index.html')
        .map((s) => s.file)
        .sort(),
    );
  });

  it.each(SERVED)('$url answers with its file, no-cache, an ETag and Last-Modified', async ({ url, file, type }) => {
    const response = await fetch(`${harness.baseUrl}${url}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(type);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('etag')).toMatch(/^(W\/)?"[^"]+"$/);
    expect(response.headers.get('last-modified')).toMatch(/ GMT$/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await response.arrayBuffer()).equals(readFileSync(join(STATUS_PAGE_DIR, file)))).toBe(true);
  });

  it.each(SERVED)('$url answers 304 to If-None-Match and to If-Modified-Since, 200 to a stale ETag', async ({ url }) => {
    const first = await fetch(`${harness.baseUrl}${url}`);
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    await first.arrayBuffer();

    // Node's fetch adds `cache-control: no-cache` to a conditional request; sent explicitly so this holds whatever fetch adds.
    const byEtag = await fetch(`${harness.baseUrl}${url}`, { headers: { 'if-none-match': etag, 'cache-control': 'no-cache' } });
    expect(byEtag.status).toBe(304);
    expect(byEtag.headers.get('etag')).toBe(etag);
    expect(byEtag.headers.get('cache-control')).toBe('no-cache');
    expect(byEtag.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await byEtag.text()).toBe('');

    const byDate = await fetch(`${harness.baseUrl}${url}`, { headers: { 'if-modified-since': lastModified } });
    expect(byDate.status).toBe(304);
    await byDate.arrayBuffer();

    const stale = await fetch(`${harness.baseUrl}${url}`, { headers: { 'if-none-match': '"not-this-one"' } });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it.each(['/status-page/index.html', '/status-page/..%2Fstatus-page-files.ts', '/status-page/.%2Fapp.js', '/status-page/README.md'])(
    '%s is not a file of the page: 404 request:not_found',
    async (url) => {
      const response = await fetch(`${harness.baseUrl}${url}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'request:not_found' });
    },
  );
});
