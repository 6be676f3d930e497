import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { Harness } from '../support/harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The OpenAPI page (`/docs`, Swagger UI) in headless Chromium under its Content-Security-Policy
 * (apps/gateway/openapi.ts, DOCS_CSP): it still renders every operation with no policy violation,
 * and a page that frames it gets nothing (frame-ancestors 'none').
 */
describe('OpenAPI page under its CSP (headless Chromium)', () => {
  let harness: Harness;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    harness = await Harness.start({ worker: false });
    profile = await mkdtemp(join(tmpdir(), 'docs-page-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => void (message.type() === 'error' && problems.push(`console: ${message.text()}`)));
    page.on('requestfailed', (request) => void problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`));
    page.on('pageerror', (error) => void problems.push(`page error: ${error.message}`));
  });
  afterAll(async () => {
    await context?.close();
    await harness?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('renders Swagger UI with its operations and no CSP violation', async () => {
    const response = await page.goto(`${harness.baseUrl}/docs`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'deploy-webhooks gateway' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(15);
    // An operation opens (React renders its parameters and responses), still without a violation.
    await page.locator('.swagger-ui .opblock-summary').first().click();
    await page.locator('.swagger-ui .opblock.is-open .responses-wrapper').first().waitFor();
    expect(problems.splice(0)).toEqual([]);
  });

  it('is not shown inside another page (frame-ancestors)', async () => {
    // A page of another origin on this machine (another port) frames it; the browser refuses.
    const framing = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<iframe src="${harness.baseUrl}/docs"></iframe>`),
    );
    await new Promise<void>((resolve) => framing.listen(0, '127.0.0.1', resolve));
    try {
      await page.goto(`http://127.0.0.1:${(framing.address() as AddressInfo).port}/`);
      for (let waited = 0; waited < 10_000 && !problems.some((problem) => problem.includes('frame-ancestors')); waited += 100)
        await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      framing.close();
    }
    expect(problems.filter((problem) => problem.includes("frame-ancestors 'none'")).length).toBeGreaterThan(0);
    const framed = page.frames().find((frame) => frame !== page.mainFrame());
    expect(await framed?.locator('.swagger-ui').count()).toBe(0);
  });
});
