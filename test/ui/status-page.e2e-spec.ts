import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { repoRoot } from '../../tools/stack';
import { PipelineFixture } from '../pipeline/pipeline-fixture';
import { ADMIN } from '../support/harness';
import { gate } from '../support/gate';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// docs/status-page.png is refreshed only on request (UPDATE_SCREENSHOT=1), so a test run leaves the clone clean.
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1'
    ? join(repoRoot, 'docs', 'status-page.png')
    : join(process.env.TEST_LOG_DIR ?? join(repoRoot, '.stack'), 'status-page.png');
// A resume token: a cursor, or a horizon followed by the cursors sent above it (FeedSession).
const CURSOR = /since=(\d{15}~)?\d{15}_[0-9a-f]{24}(~\d{15}_[0-9a-f]{24})*(&|$)/;

/**
 * The status page in headless Chromium (Debian's `chromium`, driven by playwright-core) against
 * the real stack: gateway + worker on Temporal and the MongoDB-wire server, the GitHub-shaped
 * server and the reference receiver. The feed is cut every 3 s (FEED_MAX_DURATION), so every
 * deployment below is followed across reconnects that resume with `since=<seq>`.
 */
describe('status page (headless Chromium)', () => {
  let f: PipelineFixture;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  const problems: string[] = [];
  const feedRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    f = await PipelineFixture.start({ FEED_MAX_DURATION: '3s', FEED_HEARTBEAT: '1s' });
    profile = await mkdtemp(join(tmpdir(), 'status-page-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1180, height: 900 },
      reducedMotion: 'reduce',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => void (message.type() === 'error' && problems.push(`console: ${message.text()}`)));
    page.on('pageerror', (error) => void problems.push(`page error: ${error.message}`));
    page.on('request', (request) => void (request.url().includes('/changes') && feedRequests.push(request.url())));
    const created = await f.harness.request('POST', `/1/users/${ADMIN.username}/tokens`, { body: { name: 'status page e2e' } });
    expect(created.status).toBe(201);
    token = created.json.token;
  });

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await f?.stop();
  });

  it('serves the page and its files with a strict CSP, and 404s anything else under it', async () => {
    const html = await fetch(`${f.harness.baseUrl}/status-page`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const body = await html.text();
    expect(body).not.toMatch(/<script>|<style|\son[a-z]+=/i); // nothing inline for the CSP to block
    const script = await fetch(`${f.harness.baseUrl}/status-page/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const again = await fetch(`${f.harness.baseUrl}/status-page/app.js`, { headers: { 'if-none-match': script.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const missing = await fetch(`${f.harness.baseUrl}/status-page/secrets.txt`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'request:not_found' });
  });

  it('signs in with username and API token (keyboard only), keeping them in sessionStorage', async () => {
    await page.goto(`${f.harness.baseUrl}/status-page`);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('API token').fill('dwt_0000.wrong');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'mw:auth:unauthorized' }).waitFor();
    expect(problems.splice(0)).toEqual([expect.stringContaining('401 (Unauthorized)')]); // the browser logs the refused attempt; nothing else

    await page.getByLabel('API token').fill(token);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Deployments', level: 1 }).waitFor();
    await page.locator('#connection[data-state="live"]').waitFor();
    const storage = await page.evaluate(() => {
      const g = globalThis as any;
      return { session: Object.keys(g.sessionStorage), local: g.localStorage.length, cookies: g.document.cookie };
    });
    expect(storage).toEqual({ session: ['deploy-webhooks.status-page.credentials'], local: 0, cookies: '' });

    await page.reload(); // same tab: still signed in
    await page.locator('#connection[data-state="live"]').waitFor();
    expect(await page.locator('#signed-in-as').textContent()).toBe(ADMIN.username);
  });

  it('shows a push as a new row that walks live through its steps to done, with its Temporal UI link', async () => {
    await page.evaluate(() => {
      const g = globalThis as any;
      g.seen = [];
      new g.MutationObserver(() => {
        for (const item of g.document.querySelectorAll('#deployments > li')) {
          const entry = `${item.dataset.deploymentId} ${item.dataset.state} ${item.querySelectorAll('.step').length}`;
          if (!g.seen.includes(entry)) g.seen.push(entry);
        }
      }).observe(g.document.getElementById('deployments'), { subtree: true, childList: true, attributes: true });
    });
    const { repo, sha } = await f.commit({ repo: 'storefront' });
    const pushed = await f.push(repo, sha);
    expect(pushed.status).toBe(202);
    const row = page.locator(`li[data-deployment-id="${pushed.json.id}"]`);
    await row.waitFor();
    await page.locator(`li[data-deployment-id="${pushed.json.id}"][data-state="succeeded"]`).waitFor({ timeout: 30_000 });

    const seen: string[] = (await page.evaluate(() => (globalThis as any).seen)).filter((s: string) => s.startsWith(pushed.json.id));
    const running = seen.filter((s) => s.includes(' running '));
    expect(running.length).toBeGreaterThan(1); // it grew step by step while running, not in one final render
    expect(seen.indexOf(running[0])).toBeLessThan(seen.findIndex((s) => s.includes(' succeeded ')));

    expect(await stepsOf(row, ['received:ok', 'resolve:ok', 'fetch:ok', 'inspect:ok', 'upload:ok', 'processing:ok', 'done:ok'])).toEqual([
      'received:ok',
      'resolve:ok',
      'fetch:ok',
      'inspect:ok',
      'upload:ok',
      'processing:ok',
      'done:ok',
    ]);
    expect(await row.locator('.step[data-step="processing"]').textContent()).toMatch(/SUCCESS/); // the receiver's record states
    expect(await row.locator('.badge').textContent()).toBe('Succeeded');
    const link = row.getByRole('link', { name: 'Workflow in Temporal UI' });
    expect(await link.getAttribute('href')).toBe(
      `${process.env.TEST_TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(pushed.json.workflowId)}`,
    );
    expect(await row.getByRole('button', { name: 'Retry' }).isVisible()).toBe(false);
  });

  it('resumes the feed after losing the connection, from the last token, and misses nothing', async () => {
    await context.setOffline(true);
    await page.locator('#connection[data-state="reconnecting"]').waitFor({ timeout: 10_000 }); // the server cut the feed (3 s) and it cannot reconnect
    const feedsBefore = feedRequests.length;
    const { repo, sha } = await f.commit({ repo: 'search-worker' });
    const pushed = await f.push(repo, sha);
    expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
    const row = page.locator(`li[data-deployment-id="${pushed.json.id}"]`);
    expect(await row.count()).toBe(0); // written entirely while the page was offline

    await context.setOffline(false);
    await page.locator(`li[data-deployment-id="${pushed.json.id}"][data-state="succeeded"]`).waitFor({ timeout: 30_000 });
    const all = ['received:ok', 'resolve:ok', 'fetch:ok', 'inspect:ok', 'upload:ok', 'processing:ok', 'done:ok'];
    expect(await stepsOf(row, all)).toEqual(all);
    expect(feedRequests.slice(feedsBefore).some((url) => CURSOR.test(url))).toBe(true);
    await page.locator('#connection[data-state="live"]').waitFor();
    expect(problems.splice(0).filter((problem) => !problem.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]); // the failed reconnects while offline
  });

  it('shows a failing deployment with its error code, and Retry starts a new deployment that reaches done', async () => {
    const { repo, sha } = await f.commit({ repo: 'billing-api' });
    f.hooks.execute = async () => {
      throw new Error('npm install failed: missing script "start"');
    };
    const pushed = await f.push(repo, sha);
    const failed = page.locator(`li[data-deployment-id="${pushed.json.id}"][data-state="failed"]`);
    await failed.waitFor({ timeout: 30_000 });
    f.hooks.execute = undefined;
    expect(await failed.locator('.error-code').textContent()).toBe('deploy:receiver:start_app');
    expect(await failed.locator('.error-message').textContent()).toContain('npm install failed');
    expect(await failed.locator('.step[data-step="done"]').getAttribute('data-status')).toBe('error');
    await page.locator('#announcer').filter({ hasText: 'failed: deploy:receiver:start_app' }).waitFor();

    const retry = failed.getByRole('button', { name: 'Retry' });
    await retry.focus();
    await page.keyboard.press('Enter');
    await failed
      .getByRole('status')
      .filter({ hasText: /Retry started as dep_/ })
      .waitFor();
    const retriedId = (await failed.getByRole('status').textContent())!.match(/dep_[0-9a-f]+/)![0];
    expect(retriedId).not.toBe(pushed.json.id);
    const retried = page.locator(`li[data-deployment-id="${retriedId}"]`);
    await page.locator(`li[data-deployment-id="${retriedId}"][data-state="succeeded"]`).waitFor({ timeout: 30_000 });
    expect(await retried.getByRole('link', { name: pushed.json.id }).getAttribute('href')).toBe(`#deployment-${pushed.json.id}`);
    expect((await f.harness.request('GET', `/1/deployments/${retriedId}`)).json).toMatchObject({
      retryOf: pushed.json.id,
      state: { state: 'succeeded' },
    });
    // Newest first: the retry sits above the deployment it retried.
    const order = await page.locator('#deployments > li').evaluateAll((items) => items.map((item) => (item as any).dataset.deploymentId));
    expect(order.indexOf(retriedId)).toBeLessThan(order.indexOf(pushed.json.id));
  });

  it('cancels a deployment that waits for CI', async () => {
    const { repo, sha } = await f.commit({ repo: 'docs-site', travis: true });
    const pushed = await f.push(repo, sha);
    const row = page.locator(`li[data-deployment-id="${pushed.json.id}"]`);
    await row.locator('.step[data-step="waiting_for_ci"]').waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`li[data-deployment-id="${pushed.json.id}"][data-state="canceled"]`).waitFor({ timeout: 30_000 });
    expect(await row.locator('.error-code').textContent()).toBe('deploy:canceled');
    expect(await row.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(false);
    expect(await row.getByRole('button', { name: 'Retry' }).isVisible()).toBe(true);
  });

  it('opens an app, rolls it back after a confirmation with the deployment live on the button, sees the new release live, and unlocks', async () => {
    const app = 'checkout';
    await f.configure(app);
    let parent: string | undefined;
    let last = '';
    for (const label of ['one', 'two']) {
      const c = await f.labelledCommit(app, label, parent);
      const pushed = await f.push(app, c.sha, { before: parent });
      expect(await f.outcome(pushed.json.workflowId)).toEqual({ state: 'succeeded' });
      parent = c.sha;
      last = pushed.json.id;
    }
    // The app's name in its deployment's row opens the app view.
    const row = page.locator(`li[data-deployment-id="${last}"][data-state="succeeded"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('link', { name: app, exact: true }).click();
    await page.getByRole('heading', { name: app, level: 1 }).waitFor();
    await page.locator('#releases-body tr[data-version="2"][data-live="true"]').waitFor();
    expect(await page.locator('#releases-body tr').count()).toBe(2);
    expect(await page.locator('#app-lock').getAttribute('data-locked')).toBe('false');
    expect(await page.locator('#app-trigger').textContent()).toMatch(/^Deploys pushes to /);

    // Held at the receiver, so the button shows the deployment while it runs.
    const { held, open: release } = gate();
    f.hooks.execute = async (pkg) => {
      if (pkg.app.name === app) await held;
    };
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    const dialog = page.getByRole('dialog', { name: `Roll back ${app} to v1?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('button', { name: 'Rolling back to v1… Processing' }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#release-progress').getAttribute('data-state')).toBe('running');
    release();
    f.hooks.execute = undefined;

    await page.locator('#release-progress[data-state="succeeded"]').waitFor({ timeout: 30_000 });
    const v3 = page.locator('#releases-body tr[data-version="3"][data-live="true"]');
    await v3.waitFor();
    expect(await v3.locator('td').first().textContent()).toBe('rollback to v1');
    expect(await page.locator('#releases-body tr[data-live="true"]').count()).toBe(1);
    expect(await f.liveLabel(app)).toBe('// one\n');
    await page.locator('#app-lock[data-locked="true"]').waitFor();

    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.locator('#app-lock[data-locked="false"]').waitFor();
    expect((await f.harness.request('GET', `/1/apps/admin/${app}`)).json.locked).toBeUndefined();
    await page.getByRole('link', { name: '← All deployments' }).click();
    await page.getByRole('heading', { name: 'Deployments', level: 1 }).waitFor();
  });

  it('shows Approve and Reject on a deployment awaiting approval, and Approve (with a comment) lets it deploy', async () => {
    const { repo, sha } = await f.commit({ repo: 'payments-api' });
    const put = await f.harness.request('PUT', `/1/apps/admin/${repo}`, {
      body: { repository: `octo-org/${repo}`, approval: { allowSelf: true } },
    });
    expect(put.status).toBe(200);
    const pushed = await f.push(repo, sha);
    const row = page.locator(`li[data-deployment-id="${pushed.json.id}"]`);
    const approve = row.getByRole('button', { name: 'Approve' });
    await approve.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await row.getByRole('button', { name: 'Reject' }).isVisible()).toBe(true);
    page.once('dialog', (dialog) => void dialog.accept('Looks right'));
    await approve.click();
    await row.getByRole('status').filter({ hasText: 'Approved (1/1).' }).waitFor();
    await page.locator(`li[data-deployment-id="${pushed.json.id}"][data-state="succeeded"]`).waitFor({ timeout: 30_000 });
    expect(await approve.isVisible()).toBe(false);
  });

  it('ran without a console error or CSP violation, and leaves a screenshot', async () => {
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT, fullPage: true, clip: { x: 0, y: 0, width: 1180, height: 1560 } }); // canceled, retried, failed
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
  });

  it("shows a collaborator the apps shared with them as <owner>/<app>, and nothing of the owner's other apps", async () => {
    const carol = { username: 'carol', password: 'carol-password-1' };
    expect((await f.harness.request('POST', '/1/users', { body: carol })).status).toBe(201);
    const carolToken = (await f.harness.request('POST', '/1/users/carol/tokens', { auth: carol, body: { name: 'page' } })).json.token;
    expect((await f.harness.request('PUT', '/1/apps/admin/checkout/collaborators/carol', { body: { role: 'viewer' } })).status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Username').fill(carol.username);
    await page.getByLabel('API token').fill(carolToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Deployments', level: 1 }).waitFor();
    const shared = page.locator('#deployments > li').getByRole('link', { name: 'admin/checkout', exact: true });
    await shared.first().waitFor();
    const names = await page.locator('#deployments > li a[href^="#app="]').allTextContents();
    expect(new Set(names)).toEqual(new Set(['admin/checkout']));
    await shared.first().click();
    await page.getByRole('heading', { name: 'admin/checkout', level: 1 }).waitFor();
    await page.locator('#releases-body tr[data-live="true"]').waitFor();
    expect(problems).toEqual([]);
  });
});

/** The row's timeline as `step:status`, once it equals `expected` or after 10 s (the last seen, for the failure message). */
async function stepsOf(row: Locator, expected: string[]): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const steps = await row
      .locator('.step')
      .evaluateAll((items) => items.map((item) => `${(item as any).dataset.step}:${(item as any).dataset.status}`));
    if (steps.join() === expected.join() || Date.now() > deadline) return steps;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
